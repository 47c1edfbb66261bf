"""`pkiadmin-cli`: the command-line entry point and its command groups."""

from __future__ import annotations

from pathlib import Path

import click

from pkiadmin.cli.commands import (
    audit,
    ca,
    ca_lifecycle,
    ceremony,
    cert,
    compliance,
    crl,
    csr,
    hsm,
    keys,
    ocsp,
    package,
    partner,
    profile,
    trust,
)
from pkiadmin.cli.commands import workspace as workspace_cmd
from pkiadmin.cli.context import CliState
from pkiadmin.core.base import version
from pkiadmin.core.workspace import folder as workspace


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(version.version_text())
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "workspace_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=workspace.ENV_VAR,
    default=None,
    help=f"Workspace folder (default: ${workspace.ENV_VAR}, else the per-user data folder).",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the SHA-256 of the installed package files.",
)
@click.pass_context
def cli(ctx: click.Context, workspace_dir: Path | None) -> None:
    """pkiadmin: the offline root CA workstation (command line)."""
    ctx.obj = CliState(workspace_dir if workspace_dir is not None else workspace.default_path())


# The order of `pkiadmin-cli --help`.
for command_group in (
    workspace_cmd.group,
    ca.group,
    profile.group,
    cert.group,
    compliance.group,
    csr.group,
    keys.group,
    audit.group,
    ceremony.group,
    crl.group,
    ocsp.group,
    hsm.group,
    partner.group,
    trust.group,
    package.group,
):
    cli.add_command(command_group)


ca.group.add_command(ca_lifecycle.adopt)
ca.group.add_command(ca_lifecycle.cross_sign)
ca.group.add_command(ca_lifecycle.renew_ca)
ca.group.add_command(ca_lifecycle.renewals)
ca.group.add_command(ca_lifecycle.rollover_root)
ca.group.add_command(ca_lifecycle.retire_ca)
ca.group.add_command(ca_lifecycle.destroy_key)
ca.group.add_command(ca_lifecycle.verify_destruction)


def main() -> None:
    cli(prog_name="pkiadmin-cli")
