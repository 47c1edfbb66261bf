"""`pkiadmin-cli ca make-csr`: a CSR for one of our CAs, signed by its key (file or token)."""

from __future__ import annotations

from pathlib import Path

import click

from pkiadmin.cli.ca_cmd import issuer_secret
from pkiadmin.cli.context import (
    opened_workspace,
    passphrase_options,
    shares_file_option,
    user_errors,
)
from pkiadmin.core.base import fingerprint
from pkiadmin.core.issuance import authorities, ca_csr


@click.command("make-csr")
@click.argument("ca_id", type=int)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the CSR (PEM); never overwritten.",
)
@passphrase_options
@shares_file_option
@click.pass_context
def make_csr(
    ctx: click.Context,
    ca_id: int,
    out: Path,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
) -> None:
    """Write a CSR for CA_ID signed by its key, for a cross-signature by another organisation's root."""
    with opened_workspace(ctx) as ws, user_errors():
        secret, words = issuer_secret(
            authorities.get_authority(ws.db, ca_id), passphrase_env, passphrase_fd, shares_file
        )
        result = ca_csr.make_csr(ws, ca_id, out, secret, words)
    digest = bytes.fromhex(result.sha256)
    click.echo(f"Wrote {result.path}: {result.request.subject.rfc4514_string()}")
    click.echo(f"  SHA-256:   {fingerprint.grouped_hex(digest)}")
    click.echo(f"  PGP words: {' '.join(fingerprint.pgp_words(digest))}")
