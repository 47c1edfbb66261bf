"""Every CLI command, mapped to what does it in the GUI: an action of the main window (checked
to exist and be callable), the section that shows it, or a documented reason it has none. A new
CLI command fails this test until the GUI can do it too (or the reason is written here)."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest

from pkiadmin.cli.main import cli
from pkiadmin.gui.main_window import SECTIONS, MainWindow

# command -> "action:<attribute path on the window>" | "section:<name>" | "reason:<why>"
GUI: dict[str, str] = {
    "workspace confirm-clock": "action:workspace_ops.confirm_clock",
    "workspace info": "section:Dashboard",
    "workspace init": "reason:the GUI creates its workspace when it opens one (pkiadmin --workspace DIR)",
    "ca create-intermediate": "action:authority_ops.open_new_intermediate_dialog",
    "ca create-root": "action:authority_ops.open_new_root_dialog",
    "ca adopt": "action:authority_ops.open_adopt_dialog",
    "ca list": "section:Authorities",
    "ca renewals": "section:Dashboard",
    "ca settings": "action:authority_ops.open_settings_dialog",
    "ca sign-batch": "action:request_ops.open_batch_dialog",
    "ca sign-csr": "action:request_ops.open_sign_dialog",
    "ca issue": "action:request_ops.open_issue_key_dialog",
    "ca verify-key": "action:authority_ops.ask_and_verify_key",
    "ca rollover": "action:ceremony_ops.choose_and_start_ceremony",  # the root-rollover ceremony
    "profile export": "action:profile_ops.choose_and_export",
    "profile import": "action:profile_ops.choose_and_import",
    "profile list": "section:Profiles",
    "profile show": "section:Profiles",
    "profile remove": "action:profile_ops.confirm_and_remove",
    "cert export": "action:inventory_ops.export_selected",
    "cert export-list": "action:inventory_ops.choose_and_export_view",
    "cert import": "action:inventory_ops.choose_and_import",
    "cert list": "section:Certificates",
    "cert show": "section:Certificates",
    "cert revoke": "action:revocation_ops.open_revoke_dialog",
    "cert renew": "action:lifecycle_ops.choose_and_renew_certificate",
    "cert set": "action:inventory_ops.open_metadata_dialog",
    "compliance summary": "section:Dashboard",
    "compliance policy": "action:open_compliance_policy",
    "csr check": "action:request_ops.load_csr_details",
    "csr show": "action:request_ops.load_csr_details",
    "csr import": "action:request_ops.import_csr",
    "csr list": "section:Requests",
    "keys blocklist install": "action:open_known_bad_keys",
    "keys blocklist list": "action:open_known_bad_keys",
    "keys blocklist remove": "action:open_known_bad_keys",
    "keys check": "action:open_known_bad_keys",
    "audit list": "section:Audit log",
    "audit verify": "action:workspace_ops.verify_audit",
    "ceremony plan check": "action:ceremony_ops.start_ceremony",  # a plan is checked as it starts
    "ceremony plan new": "action:ceremony_ops.open_plan_form",
    "ceremony run": "action:ceremony_ops.choose_and_start_ceremony",
    "ceremony show": "section:Ceremonies",
    "ceremony verify-report": "action:ceremony_ops.verify_report",
    "crl export": "action:revocation_ops.choose_and_export_crl",
    "crl issue": "action:revocation_ops.ask_and_issue_crl",
    "crl settings": "action:authority_ops.open_settings_dialog",
    "crl show": "section:Revocation",
    "crl status": "section:Revocation",
    "ocsp export": "action:revocation_ops.ask_and_sign_ocsp",
    "ocsp show": "action:revocation_ops.choose_and_show_ocsp",
    "hsm keys": "action:authority_ops.open_hsm_dialog",
    "hsm list": "action:authority_ops.open_hsm_dialog",
    "partner add": "action:partner_ops.add_partner",
    "partner import-key": "action:partner_ops.choose_and_import_key",
    "partner list": "section:Partners",
    "partner show": "section:Partners",
    "partner officer-key": "action:partner_ops.officer_key",
    "partner verify": "action:partner_ops.open_call",
    "trust export": "action:partner_ops.choose_and_export_trust",  # PEM, -CApath, PKCS#12
    "ca index-txt": "action:export_ops.choose_and_write_index_txt",
    "ca renew": "action:lifecycle_ops.ask_and_renew",
    "ca make-csr": "action:lifecycle_ops.choose_and_make_csr",
    "ca cross-sign": "action:lifecycle_ops.ask_and_cross_sign",
    "ca retire": "action:lifecycle_ops.ask_and_retire",
    "ca destroy-key": "action:lifecycle_ops.ask_and_destroy_key",
    "ca verify-destruction": "action:lifecycle_ops.choose_and_verify_destruction",
    "compliance report": "action:export_ops.choose_and_write_compliance_report",
    "partner sheet": "action:export_ops.choose_and_write_call_sheet",
    "package build": "action:partner_ops.open_build",
    "package open": "action:partner_ops.open_package_dialog",
    "package inspect": "action:partner_ops.choose_and_inspect_package",
    "partner validate": "action:partner_ops.choose_and_validate_hierarchy",
}


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        elif command is not None:
            yield " ".join((*prefix, name))


def test_every_cli_command_is_mapped_once() -> None:
    commands = set(_commands(cli))
    assert len(commands) > 60
    assert commands - set(GUI) == set(), "a CLI command has no GUI mapping"
    assert set(GUI) - commands == set(), "a mapping names no CLI command"


@pytest.mark.parametrize("command", sorted(GUI))
def test_each_mapped_action_exists_in_the_window(window: MainWindow, command: str) -> None:
    kind, _, target = GUI[command].partition(":")
    if kind == "section":
        assert target in SECTIONS
    elif kind == "reason":
        assert len(target) > 20
    else:
        assert kind == "action"
        found: object = window
        for part in target.split("."):
            found = getattr(found, part)
        assert callable(found), f"{command}: {target} is not an action"
