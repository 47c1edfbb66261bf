"""`pkiadmin-cli ocsp ...`: pre-signed OCSP responses for the certificates a CA issued."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pkiadmin.cli.context import (
    issuer_secret,
    opened_workspace,
    passphrase_options,
    shares_file_option,
    user_errors,
)
from pkiadmin.core.base import fingerprint
from pkiadmin.core.issuance import authorities
from pkiadmin.core.revocation import ocsp
from pkiadmin.core.revocation.ocsp import OcspExport


@click.group("ocsp")
def group() -> None:
    """Pre-signed OCSP responses (RFC 6960) for an online responder or TLS stapling."""


def echo_ocsp_export(done: OcspExport) -> None:
    digest = bytes.fromhex(done.manifest_sha256)
    click.echo(
        f"Signed {done.responses} OCSP response(s) ({done.revoked} revoked), valid "
        f"{done.this_update:%Y-%m-%d %H:%M} to {done.next_update:%Y-%m-%d %H:%M} UTC, into "
        f"{done.folder}"
    )
    click.echo(f"  manifest SHA-256: {fingerprint.grouped_hex(digest)}")
    click.echo(
        "  lint: " + ("; ".join(str(f) for r in done.lint for f in r.findings) or "no findings")
    )


@group.command("export")
@click.argument("ca_id", type=int)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A new or empty folder (default: exports/ocsp/<ca>-<thisUpdate>).",
)
@click.option(
    "--days",
    type=int,
    default=None,
    help="How long the responses are valid (default and at most: the CA's CRL period).",
)
@click.option(
    "--responder-cert",
    type=int,
    default=None,
    help="Sign with this delegated responder certificate (ocsp-responder profile, issued by "
    "the CA) instead of the CA key.",
)
@click.option(
    "--responder-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The responder's key: the PKCS#12 or encrypted PKCS#8 file `ca issue` wrote.",
)
@click.option(
    "--responder-password-env",
    metavar="VAR",
    default=None,
    help="The environment variable holding the responder key file's password.",
)
@passphrase_options
@shares_file_option
@click.pass_context
def export(
    ctx: click.Context,
    ca_id: int,
    out_dir: Path | None,
    days: int | None,
    responder_cert: int | None,
    responder_key: Path | None,
    responder_password_env: str | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
) -> None:
    """Sign a response for every certificate CA_ID issued (good, or revoked with time and
    reason) and write them: by-serial/SERIAL.der, by-certid/NAMEHASH-KEYHASH-SERIAL.der and
    manifest.json (each response's SHA-256)."""
    if (responder_cert is None) != (responder_key is None):
        raise click.UsageError("Give --responder-cert and --responder-key together.")
    with opened_workspace(ctx) as ws, user_errors():
        if responder_cert is not None and responder_key is not None:
            password = _password(responder_password_env)
            key = ocsp.load_responder_key(responder_key, password)
            done = ocsp.issue(ws, ca_id, folder=out_dir, days=days, delegated=(responder_cert, key))
        else:
            secret, words = issuer_secret(
                authorities.get_authority(ws.db, ca_id), passphrase_env, passphrase_fd, shares_file
            )
            done = ocsp.issue(ws, ca_id, secret, words, folder=out_dir, days=days)
    echo_ocsp_export(done)


def _password(env: str | None) -> str:
    if env is None:
        return str(click.prompt("Responder key file password", hide_input=True))
    value = os.environ.get(env)
    if value is None:
        raise click.UsageError(f"The environment variable {env} is not set.")
    return value


@group.command("show")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def show(ctx: click.Context, file: Path) -> None:
    """Print a DER OCSP response and check its signature against the CAs held here."""
    with opened_workspace(ctx) as ws, user_errors():
        if file.stat().st_size > 1 << 20:
            raise click.ClickException(f"{file} is over a megabyte; it is not an OCSP response.")
        lines = ocsp.describe(file.read_bytes(), ocsp.known_issuers(ws.db))
    for line in lines:
        click.echo(line)
