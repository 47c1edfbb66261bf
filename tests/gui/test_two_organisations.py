"""The partner exchange of the requirement documents, for two organisations (Service_A and
Service_B), entirely through the GUI: each workspace, its root key ceremony in the wizard (a
rehearsal), a policy and an issuing CA whose keys are made here, CRL URLs and CRLs, the officer
key exported for the partner, the partner registered with their key, trust packages built and
opened both ways, a blind "they read" and a "we read" call each way, the trust store exported
in all three formats; then Service_A's server and Service_B's client, signed in the GUI from
`openssl req` CSRs, shake hands under `openssl s_server`/`s_client` with the exported store.

Only what a person would do is done: dialogs filled and buttons pressed. Files the partners
exchange (keys, packages) are handed over as files; the test reads results (a status line, a
file) the way the operator would."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from pkiadmin.gui.dialogs.share_inputs import SharesDialog
from pkiadmin.gui.main_window import MainWindow
from tests.ceremony_helpers import DATA, stage
from tests.gui.conftest import accept_confirmations, shown_window
from tests.gui.test_ceremony_wizard import run_wizard_to_the_end
from tests.gui.test_partners import drive_call
from tests.interop.test_end_entity_tls import _listening_port
from tests.package_helpers import kill_agent

pytestmark = pytest.mark.timeout(300)


@dataclass
class Org:
    name: str  # Service_A
    short: str  # a
    folder: Path
    window: MainWindow
    shares: dict[str, str] = field(default_factory=dict)
    officer: str = ""
    ids: dict[str, int] = field(default_factory=dict)  # root, policy, issuing -> CA id

    @property
    def secret(self) -> str:
        return f"{self.name} officer passphrase, long enough"

    def ca_secret(self, tier: str) -> str:
        return f"{self.name} {tier} CA passphrase for the test"


class Unlocking:
    """What the people type when a key is unlocked: the custodians' shares for the root (into
    the share dialog, each in their own row), a passphrase for the others."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.org: Org | None = None
        self.secret = ""
        # A function, not the bound method: Qt calls exec on the dialog, which it passes.
        monkeypatch.setattr(SharesDialog, "exec", _typed_by(self))
        monkeypatch.setattr(
            "pkiadmin.gui.dialogs.unlock.QInputDialog.getText",
            lambda *_a, **_k: (self.secret, True),
        )

    def _shares(self, dialog: SharesDialog) -> int:
        assert self.org is not None
        for row, text in zip(dialog.fields, self.org.shares.values(), strict=False):
            row.setText(text)
        assert all(c.text().startswith("✔") for c in dialog.inputs.checks if c.text())
        return int(QDialog.DialogCode.Accepted.value)


def _typed_by(unlocking: Unlocking) -> object:
    def exec_(dialog: SharesDialog) -> int:
        return unlocking._shares(dialog)

    return exec_


def _open(qtbot: QtBot, folder: Path) -> MainWindow:
    window = shown_window(qtbot, folder / "ws")
    window.resize(1280, 800)
    return window


def _authorities(org: Org) -> dict[str, int]:
    data = org.window.overview_data
    assert data is not None
    return {a.name: a.id for a in data.authorities}


def _ceremony(qtbot: QtBot, org: Org) -> None:
    plan_text = (
        (DATA / "ceremony-plan.toml")
        .read_text()
        .replace("EXAMPLE-ROOT-2026", f"{org.name.upper()}-ROOT")
        .replace("Example Root CA 2026", f"{org.name} Root CA")
        .replace("path_length = 1 ", "path_length = 2 ")  # three tiers: root, policy, issuing
        .replace('organization = "Example Ltd"', f'organization = "{org.name}"')
    )
    plan, _answers = stage(org.folder / "ceremony", plan_text)
    org.window.ceremony_ops.start_ceremony(plan, rehearsal=True)
    wizard = org.window.ceremony_ops.ceremony_wizard
    assert wizard is not None
    org.shares = run_wizard_to_the_end(wizard, org.folder / "ceremony")
    assert wizard.finish_page.result is not None, wizard.finish_page.error.text()
    wizard.accept()
    qtbot.waitUntil(lambda: f"{org.name} Root CA" in _authorities(org), timeout=10_000)
    org.ids["root"] = _authorities(org)[f"{org.name} Root CA"]


def _settings(qtbot: QtBot, org: Org, tier: str) -> None:
    """The CA's CRL URL, before it signs the tier below (which carries it)."""
    dialog = org.window.authority_ops.open_settings_dialog(org.ids[tier])
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=10_000)
    dialog.crl_urls.setText(f"http://pki.{org.short}.example/{tier}.crl")
    dialog.save()
    assert dialog.saved, dialog.error.text()


def _intermediate(qtbot: QtBot, org: Org, unlocking: Unlocking, issuer: str, tier: str) -> None:
    window = org.window
    cn = f"{org.name} {tier.capitalize()} CA"
    dialog = window.authority_ops.open_new_intermediate_dialog()
    dialog.issuer.setCurrentIndex(dialog.issuer.findData(org.ids[issuer]))
    qtbot.keyClicks(dialog.common_name, cn)
    qtbot.keyClicks(dialog.passphrase, org.ca_secret(tier))
    qtbot.keyClicks(dialog.confirmation, org.ca_secret(tier))
    unlocking.org, unlocking.secret = org, org.ca_secret(issuer)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible(), dialog.error.text()
    qtbot.waitUntil(lambda: cn in _authorities(org), timeout=10_000)
    org.ids[tier] = _authorities(org)[cn]


def _crls(org: Org, unlocking: Unlocking) -> None:
    for tier in ("root", "policy", "issuing"):
        unlocking.org, unlocking.secret = org, org.ca_secret(tier)
        org.window.revocation_ops.ask_and_issue_crl(org.ids[tier])
        assert "Signed CRL" in org.window.statusBar().currentMessage()


def _officer(org: Org) -> Path:
    ops = org.window.partner_ops
    ops.generate_officer_key(f"{org.name} Officer", f"officer@{org.short}.example", org.secret)
    data = org.window.overview_data
    assert data is not None and data.officer_fingerprint
    org.officer = data.officer_fingerprint
    exported = org.folder / f"officer-{org.short}.asc"
    ops.export_officer_key(exported)
    assert "BEGIN PGP PUBLIC KEY BLOCK" in exported.read_text()
    return exported


def _register(org: Org, partner: Org, key: Path) -> None:
    ops = org.window.partner_ops
    ops.add_partner(
        partner.short, partner.name, f"{partner.name} Officer|officer|+1 555 0100|contract"
    )
    ops.import_key(partner.short, key, partner.officer)  # the fingerprint read out of band
    data = org.window.overview_data
    assert data is not None
    assert [p.key_status for p in data.partners] == ["unverified"]


def _build(org: Org, partner: Org) -> Path:
    dialog = org.window.partner_ops.open_build(partner.short)
    out = org.folder / "outgoing"
    dialog.out_dir.setText(str(out))
    dialog.passphrase.setText(org.secret)
    dialog.run_button.click()
    assert "✔ Wrote" in dialog.summary.text(), dialog.error.text()
    dialog.reject()
    (package,) = out.glob("*.tar.gpg")
    return package


def _receive(org: Org, partner: Org, package: Path) -> None:
    dialog = org.window.partner_ops.open_package_dialog(partner.short)
    dialog.file.setText(str(package))
    dialog.passphrase.setText(org.secret)
    dialog.run_button.click()
    assert dialog.summary.text().startswith("✔ ACCEPTED"), dialog.error.text()
    dialog.reject()


def _calls(qtbot: QtBot, org: Org, partner: Org) -> None:
    for direction in ("they-read", "we-read"):
        call = drive_call(qtbot, org.window, direction, partner=partner.short)
        assert not call.mismatch
        call.passphrase.setText(org.secret)
        call.record()
        assert call.recorded is not None and call.recorded.result == "verified", call.error.text()
        call.reject()
    data = org.window.overview_data
    assert data is not None and [p.key_status for p in data.partners] == ["verified"]


def _leaf(qtbot: QtBot, org: Org, service: str, profile: str) -> Path:
    """An `openssl req` CSR signed by the issuing CA in the signing dialog, exported for the
    service (cert.pem, chain.pem, fullchain.pem …)."""
    folder = org.folder / service
    folder.mkdir()
    subprocess.run(
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", "key.pem", "-out", "req.csr", "-subj", f"/O={org.name}/CN={service}",
         "-addext", f"subjectAltName=DNS:{service}"],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    window = org.window
    window.request_ops.import_csr(folder / "req.csr")
    data = window.overview_data
    assert data is not None
    csr_id = max(c.id for c in data.csrs)
    dialog = window.request_ops.open_sign_dialog(csr_id)
    assert dialog is not None
    dialog.issuer.setCurrentIndex(dialog.issuer.findData(org.ids["issuing"]))
    dialog.profile.setCurrentIndex(dialog.profile.findData(profile))
    dialog.preview_button.click()
    dialog.checked.setChecked(True)
    dialog.secret.setText(org.ca_secret("issuing"))
    dialog.sign_button.click()
    assert dialog.issued is not None, dialog.error.text()
    window.go_to("Certificates")
    page = window.certificates
    page.filter.setText(service)
    page.apply_filters()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    page.table.selectRow(0)
    window.inventory_ops.export_bundle_selected(folder / "deploy")
    return folder


def test_two_organisations_onboard_each_other_through_the_gui(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unlocking = Unlocking(monkeypatch)
    orgs = [
        Org(name, short, tmp_path / short, _open(qtbot, tmp_path / short))
        for name, short in (("Service_A", "a"), ("Service_B", "b"))
    ]
    a, b = orgs
    try:
        for org in orgs:
            _ceremony(qtbot, org)
            _settings(qtbot, org, "root")
            _intermediate(qtbot, org, unlocking, "root", "policy")
            _settings(qtbot, org, "policy")
            _intermediate(qtbot, org, unlocking, "policy", "issuing")
            _settings(qtbot, org, "issuing")
            _crls(org, unlocking)
        keys = {org.short: _officer(org) for org in orgs}
        _register(a, b, keys["b"])
        _register(b, a, keys["a"])
        to_b, to_a = _build(a, b), _build(b, a)
        _receive(b, a, to_b)
        _receive(a, b, to_a)
        _calls(qtbot, a, b)
        _calls(qtbot, b, a)

        # Each side's trust store of the other's CAs, in all three formats.
        stores: dict[str, Path] = {}
        for org in orgs:
            out = org.folder / "trust"
            out.mkdir()
            org.window.partner_ops.export_trust(out / "partner-cas.pem")
            (out / "capath").mkdir()
            org.window.partner_ops.export_trust(out / "capath", "openssl-dir")
            org.window.partner_ops.export_trust(out / "partner-cas.p12", "p12", "changeit-please")
            assert (out / "partner-cas.pem").read_text().count("BEGIN CERTIFICATE") == 3
            assert len(list((out / "capath").glob("*.0"))) == 3
            assert (out / "partner-cas.p12").stat().st_size > 0
            stores[org.short] = out

        # Service_A's root cross-certifies Service_B's root (confirmed on the call) for
        # Service_B's namespace only: shown in full first, then signed with the shares.
        _cross_sign(a, b, unlocking, monkeypatch)

        server = _leaf(qtbot, a, "svc-a.example", "tls-server")
        client = _leaf(qtbot, b, "svc-b.example", "mtls")
        client_out, server_out = _handshake(server, client, stores["a"], stores["b"])
        assert "Verify return code: 0 (ok)" in client_out, client_out + server_out
        assert "HTTP/1.0 200 ok" in client_out, client_out + server_out
    finally:
        for org in orgs:
            org.window.close()
            kill_agent(org.window.workspace_path / "gnupg")


def _cross_sign(a: Org, b: Org, unlocking: Unlocking, monkeypatch: pytest.MonkeyPatch) -> None:
    from pkiadmin.core.lifecycle import cross

    data = a.window.overview_data
    assert data is not None
    (theirs,) = [c for c in data.partner_certs if c.trusted and "Root CA" in c.subject]
    shown = accept_confirmations(monkeypatch)
    unlocking.org = a
    request = cross.CrossRequest(theirs.cert_id, (f"dns:{b.short}.example", "dns:svc-b.example"))
    a.window.lifecycle_ops.cross_sign(a.ids["root"], request)
    assert shown and "svc-b.example" in shown[0]
    status = a.window.statusBar().currentMessage()
    assert status.startswith("Signed cross-certificate") and "Service_B Root CA" in status


def _handshake(server: Path, client: Path, a_store: Path, b_store: Path) -> tuple[str, str]:
    """Service_A's s_server demands a client certificate chaining to its store of Service_B's
    CAs (-CApath, the hashed folder); Service_B's s_client checks Service_A's name and chain
    against its store of Service_A's CAs (the PEM bundle)."""
    deploy_a, deploy_b = server / "deploy", client / "deploy"
    with subprocess.Popen(
        ["openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-www",
         "-cert", str(deploy_a / "cert.pem"), "-key", str(server / "key.pem"),
         "-cert_chain", str(deploy_a / "chain.pem"), "-CApath", str(a_store / "capath"),
         "-Verify", "3", "-verify_return_error"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as s_server:  # fmt: skip
        port = _listening_port(s_server)
        done = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
             "-CAfile", str(b_store / "partner-cas.pem"), "-verify_hostname", "svc-a.example",
             "-verify_return_error", "-cert", str(deploy_b / "cert.pem"),
             "-key", str(client / "key.pem"), "-cert_chain", str(deploy_b / "chain.pem"),
             "-ign_eof"],
            input="GET / HTTP/1.0\r\n\r\n", capture_output=True, text=True, timeout=20,
            check=False,
        )  # fmt: skip
        try:
            s_server.wait(10)
        finally:
            s_server.kill()
        return done.stdout + done.stderr, s_server.stdout.read() if s_server.stdout else ""
