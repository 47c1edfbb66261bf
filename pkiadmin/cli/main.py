"""`pkiadmin-cli`: the command-line entry point and its command groups."""

from __future__ import annotations

from pathlib import Path

import click

from pkiadmin.cli import (
    audit_cmd,
    ca_cmd,
    ca_csr_cmd,
    ceremony_cmd,
    cert_cmd,
    crl_cmd,
    csr_cmd,
    hsm_cmd,
    inventory_cmd,
    package_cmd,
    partner_cmd,
    verify_cmd,
    workspace_cmd,
)
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


cli.add_command(workspace_cmd.group)
ca_cmd.group.add_command(ca_csr_cmd.make_csr)
cli.add_command(ca_cmd.group)
cert_cmd.group.add_command(inventory_cmd.export_list)
cert_cmd.group.add_command(inventory_cmd.set_metadata)
cli.add_command(cert_cmd.group)
ca_cmd.group.add_command(inventory_cmd.index_txt)
cli.add_command(inventory_cmd.group)
cli.add_command(csr_cmd.group)
cli.add_command(audit_cmd.group)
cli.add_command(ceremony_cmd.group)
cli.add_command(crl_cmd.group)
cli.add_command(hsm_cmd.group)
partner_cmd.group.add_command(verify_cmd.verify)
partner_cmd.group.add_command(verify_cmd.sheet)
cli.add_command(partner_cmd.group)
cli.add_command(verify_cmd.trust_group)
cli.add_command(package_cmd.group)


def main() -> None:
    cli(prog_name="pkiadmin-cli")
