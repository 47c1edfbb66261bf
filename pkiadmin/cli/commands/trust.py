"""`pkiadmin-cli trust export`: the partner CAs confirmed on verified calls, as a trust store."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pkiadmin.cli.context import opened_workspace, user_errors
from pkiadmin.core.exchange import trust_store as trust


@click.group("trust")
def group() -> None:
    """The partner trust store: CA certificates confirmed on a verified call."""


@group.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pem", "openssl-dir", "p12"]),
    default="pem",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="File (pem, p12) or new folder (openssl-dir).",
)
@click.option(
    "--password-env",
    metavar="VAR",
    default=None,
    help="For p12: the truststore password from this variable.",
)
@click.pass_context
def export(ctx: click.Context, fmt: str, out: Path, password_env: str | None) -> None:
    """Write the trusted partner CA certificates for nginx, OpenSSL or Java; lists what it wrote."""
    password = os.environ.get(password_env) if password_env else None
    with opened_workspace(ctx) as ws, user_errors():
        result = trust.export(ws, fmt, out, password)
    click.echo(f"Wrote {result.path} with {len(result.certificates)} certificate(s):")
    for line in result.listing():
        click.echo(f"  {line}")
