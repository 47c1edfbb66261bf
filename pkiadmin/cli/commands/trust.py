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
@click.option(
    "--crls",
    "crls_out",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the current CRL of every trusted partner CA: a PEM bundle file (pem, for "
    "nginx ssl_crl) or hashed files in a folder (openssl-dir, -CRLpath; may be --out).",
)
@click.pass_context
def export(
    ctx: click.Context, fmt: str, out: Path, password_env: str | None, crls_out: Path | None
) -> None:
    """Write the trusted partner CA certificates for nginx, OpenSSL or Java; lists what it wrote.
    With --crls, their CRLs too, each checked against its CA; a missing or stale one stops it."""
    password = os.environ.get(password_env) if password_env else None
    if crls_out is not None and fmt == "p12":
        raise click.UsageError(
            "CRLs go in a PEM bundle or an OpenSSL folder, not a Java truststore."
        )
    with opened_workspace(ctx) as ws, user_errors():
        # Checked first: a missing or stale CRL stops the export before anything is written.
        current = trust.checked_crls(ws) if crls_out is not None else ()
        result = trust.export(ws, fmt, out, password)
        if crls_out is not None:
            crls = trust.export_crls(ws, fmt, crls_out, current)
    click.echo(f"Wrote {result.path} with {len(result.certificates)} certificate(s):")
    for line in result.listing():
        click.echo(f"  {line}")
    if crls_out is not None:
        click.echo(f"Wrote {crls.path} with {len(crls.crls)} CRL(s):")
        for line in crls.listing():
            click.echo(f"  {line}")
