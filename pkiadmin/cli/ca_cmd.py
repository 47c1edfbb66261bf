"""`pkiadmin-cli ca ...`: certificate authorities held in this workspace."""

from __future__ import annotations

from pathlib import Path

import click

from pkiadmin.cli.context import (
    echo_json,
    echo_table,
    opened_workspace,
    passphrase_options,
    read_passphrase,
    user_errors,
)
from pkiadmin.core import authorities, fingerprint, keys, rootca, shares
from pkiadmin.core.keyid import SkiMethod
from pkiadmin.core.names import SubjectSpec


@click.group("ca")
def group() -> None:
    """Create and list certificate authorities."""


@group.command("create-root")
@click.option(
    "--cn", "common_name", required=True, help="Common name, e.g. 'Example Root CA 2026'."
)
@click.option("--org", "organization", default="", help="Organisation (O).")
@click.option("--ou", "organizational_unit", default="", help="Organisational unit (OU).")
@click.option("--country", default="", help="Two-letter ISO 3166 country code (C), e.g. DE.")
@click.option("--state", default="", help="State or province (ST).")
@click.option("--locality", default="", help="Locality (L).")
@click.option(
    "--algorithm",
    type=click.Choice([a.value for a in keys.KeyAlgorithm]),
    default=keys.KeyAlgorithm.EC_P384.value,
    show_default=True,
    help="Key algorithm.",
)
@click.option("--validity-days", type=int, default=rootca.DEFAULT_VALIDITY_DAYS, show_default=True)
@click.option(
    "--path-length", type=int, default=None, help="basicConstraints pathLen (default: none)."
)
@click.option(
    "--ski-method",
    type=click.Choice([m.value for m in SkiMethod]),
    default=SkiMethod.RFC7093.value,
    show_default=True,
    help="Subject key identifier method.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@passphrase_options
@click.pass_context
def create_root(
    ctx: click.Context,
    common_name: str,
    organization: str,
    organizational_unit: str,
    country: str,
    state: str,
    locality: str,
    algorithm: str,
    validity_days: int,
    path_length: int | None,
    ski_method: str,
    as_json: bool,
    passphrase_env: str | None,
    passphrase_fd: int | None,
) -> None:
    """Create a self-signed root CA with a new key, stored encrypted under a passphrase."""
    request = rootca.RootCaRequest(
        subject=SubjectSpec(
            common_name, organization, organizational_unit, country, state, locality
        ),
        algorithm=keys.KeyAlgorithm(algorithm),
        validity_days=validity_days,
        path_length=path_length,
        ski_method=SkiMethod(ski_method),
    )
    with user_errors():
        request.validated_name()  # reject a bad subject before asking for a passphrase
    secret = read_passphrase(passphrase_env, passphrase_fd, new=True)
    with opened_workspace(ctx) as ws:
        result = rootca.create_root_ca(ws, request, secret)
    if as_json:
        echo_json(result)
        return
    record = result.record
    digest = bytes.fromhex(record.sha256)
    click.echo(f"Created root CA {result.ca_id}: {record.subject}")
    click.echo(f"  certificate id: {record.id}")
    click.echo(f"  serial:         {record.serial_hex}")
    click.echo(f"  valid until:    {record.not_after:%Y-%m-%d %H:%M:%S} UTC")
    click.echo(f"  SHA-256:        {fingerprint.grouped_hex(digest)}")
    click.echo(f"  PGP words:      {' '.join(fingerprint.pgp_words(digest))}")
    click.echo(f"  key file:       {result.key_path} (encrypted)")


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_cas(ctx: click.Context, as_json: bool) -> None:
    """List the CAs whose keys this workspace holds."""
    with opened_workspace(ctx) as ws:
        cas = authorities.list_authorities(ws.db)
    if as_json:
        echo_json(cas)
        return
    echo_table(
        ("ID", "KIND", "NAME", "CERT", "KEY", "VALID UNTIL"),
        [
            (str(c.id), c.kind, c.name, str(c.cert_id), c.key_backend, f"{c.not_after:%Y-%m-%d}")
            for c in cas
        ],
    )


@group.command("verify-key")
@click.argument("ca_id", type=int)
@passphrase_options
@click.option(
    "--shares-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="For a ceremony CA: a file with a quorum of custodian shares, one share's words per line.",
)
@click.pass_context
def verify_key(
    ctx: click.Context,
    ca_id: int,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
) -> None:
    """Check that the passphrase (or custodian shares) opens the CA's key and that it matches its certificate."""
    with opened_workspace(ctx) as ws, user_errors():
        authority = authorities.get_authority(ws.db, ca_id)
        secret: str | None = None
        words: list[str] | None = None
        if authority.needs_shares:
            words = read_shares(shares_file)
        else:
            secret = read_passphrase(passphrase_env, passphrase_fd, new=False)
        check = authorities.verify_key(ws, ca_id, secret, words)
    unlocked = "custodian shares open" if words else "passphrase opens"
    click.echo(
        f"OK: the {unlocked} {check.key_path.name}, and the key matches the certificate of CA {check.ca_id} ({check.name})."
    )


def read_shares(shares_file: Path | None) -> list[str]:
    """A quorum of shares from a file, or typed by each custodian in turn (input hidden)."""
    if shares_file is not None:
        return shares.read_share_lines(shares_file.read_text(encoding="utf-8").splitlines())
    click.echo(
        "The key is protected by custodian shares. Each custodian present types their share's words."
    )
    words: list[str] = []
    while True:
        share = click.prompt(
            f"Share {len(words) + 1} (empty when the quorum has entered theirs)",
            default="",
            hide_input=True,
            show_default=False,
        )
        if not share.strip():
            break
        words.append(share)
    return words
