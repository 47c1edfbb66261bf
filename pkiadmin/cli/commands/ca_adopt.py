"""`pkiadmin-cli ca adopt`: take over a CA made elsewhere (an `openssl ca` directory, an XCA
export) with what it issued, its revocations and its CRL number."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pkiadmin.cli.context import opened_workspace, read_passphrase, user_errors
from pkiadmin.core.base.display import safe
from pkiadmin.core.lifecycle import adopt as adoption

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("adopt")
@click.option("--cert", "cert_file", required=True, type=_FILE, help="The CA's certificate.")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=_FILE,
    help="Its private key: PEM (encrypted PKCS#8, traditional, or unencrypted), DER or PKCS#12.",
)
@click.option(
    "--key-passphrase-env",
    default=None,
    help="Environment variable holding the passphrase of the key file as it is now.",
)
@click.option(
    "--index-txt",
    "index",
    type=_FILE,
    default=None,
    help="openssl ca's index.txt: the certificates it issued and their revocations.",
)
@click.option(
    "--issued",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of the certificates it issued (default: newcerts/ beside index.txt).",
)
@click.option("--crl", type=_FILE, default=None, help="Its last CRL (PEM or DER).")
@click.option("--crlnumber", type=_FILE, default=None, help="openssl ca's crlnumber file.")
@click.option(
    "--passphrase-env",
    default=None,
    help="Environment variable holding the new passphrase pkiadmin encrypts the key with.",
)
@click.option(
    "--passphrase-fd", type=int, default=None, help="Read the new passphrase from this fd."
)
@click.option("--yes", is_flag=True, help="Do not ask after showing what will be adopted.")
@click.pass_context
def adopt(
    ctx: click.Context,
    cert_file: Path,
    key_file: Path,
    key_passphrase_env: str | None,
    index: Path | None,
    issued: Path | None,
    crl: Path | None,
    crlnumber: Path | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    yes: bool,
) -> None:
    """Adopt a CA made elsewhere: its key is checked against its certificate and kept encrypted
    under a new passphrase; the certificates in index.txt are imported and linked, their
    revocations kept with their dates and reasons, and the CRL number continued; audited."""
    old_secret = None
    if key_passphrase_env is not None:
        old_secret = os.environ.get(key_passphrase_env)
        if old_secret is None:
            raise click.UsageError(f"The environment variable {key_passphrase_env} is not set.")
    sources = adoption.Sources(cert_file, key_file, old_secret, index, issued, crl, crlnumber)
    with opened_workspace(ctx) as ws, user_errors():
        found = adoption.plan(ws, sources)
        click.echo(safe(adoption.describe(found)))
        if not yes and not click.confirm("Adopt this CA?", default=False):
            raise click.ClickException("Nothing was adopted.")
        secret = read_passphrase(passphrase_env, passphrase_fd, new=True)
        done = adoption.adopt(ws, found, secret)
    click.echo(
        f"Adopted CA {done.ca_id} (certificate {done.cert_id}): {done.issued} issued "
        f"certificate(s), {done.revoked} revocation(s); the key is in {done.key_path.name}, "
        "encrypted."
    )
    for note in done.notes:
        click.echo(f"Note: {safe(note)}")
