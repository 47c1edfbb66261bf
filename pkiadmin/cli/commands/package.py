"""`pkiadmin-cli package ...`: build a trust package for a partner, open one from a partner."""

from __future__ import annotations

from pathlib import Path

import click

from pkiadmin.cli.context import opened_workspace, read_passphrase, user_errors
from pkiadmin.core.base import fingerprint
from pkiadmin.core.exchange import package_build, package_open, pgp


@click.group("package")
def group() -> None:
    """Partner trust packages: our CA certificates and CRLs, signed and encrypted; theirs, checked."""


@group.command("build")
@click.argument("partner")
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Where to write the package and its verification sheet.",
)
@click.option("--organisation", default="", help="Our organisation's name (default: the root's O).")
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    help="An mTLS service endpoint to list (host:port). Repeatable.",
)
@click.option(
    "--passphrase-env",
    metavar="VAR",
    default=None,
    help="The officer key's passphrase from this variable.",
)
@click.pass_context
def build(
    ctx: click.Context,
    partner: str,
    out_dir: Path,
    organisation: str,
    endpoints: tuple[str, ...],
    passphrase_env: str | None,
) -> None:
    """Build, sign and encrypt a trust package for PARTNER."""
    secret = read_passphrase(passphrase_env, None, new=False, prompt="Officer key passphrase")
    with opened_workspace(ctx) as ws, user_errors():
        built = package_build.build(ws, partner, secret, out_dir, organisation, endpoints)
    digest = bytes.fromhex(built.manifest_sha256)
    click.echo(f"Wrote {built.path}")
    click.echo(f"  verification sheet: {built.sheet_path}")
    click.echo(f"  files: {', '.join(built.files)}")
    click.echo(f"  manifest SHA-256: {fingerprint.grouped_hex(digest)}")
    click.echo(f"  PGP words:        {' '.join(fingerprint.pgp_words(digest))}")
    click.echo("Read the sheet's values aloud on the verification call.")


@group.command("open")
@click.argument("partner")
@click.argument("package_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--passphrase-env",
    metavar="VAR",
    default=None,
    help="The officer key's passphrase from this variable.",
)
@click.pass_context
def open_(ctx: click.Context, partner: str, package_file: Path, passphrase_env: str | None) -> None:
    """Decrypt and check PARTNER's package; exit 1 unless every check passes. Nothing is trusted yet."""
    secret = read_passphrase(passphrase_env, None, new=False, prompt="Officer key passphrase")
    with opened_workspace(ctx) as ws, user_errors():
        try:
            opened = package_open.open_package(ws, partner, package_file, secret)
        except package_open.PackageRejectedError as exc:
            raise click.ClickException(
                f"REJECTED: {exc} Nothing from the package was kept."
            ) from exc
    for note in opened.notes:
        click.echo(f"ok       {note}")
    for problem in opened.blocking:
        click.secho(f"PROBLEM  {problem}", fg="red", err=True)
    digest = bytes.fromhex(opened.manifest_sha256)
    click.echo(f"Package {opened.package_id} from {pgp.grouped(opened.signer_fingerprint)}")
    click.echo(f"  manifest SHA-256: {fingerprint.grouped_hex(digest)}")
    click.echo(f"  PGP words:        {' '.join(fingerprint.pgp_words(digest))}")
    for cert in opened.certificates:
        click.echo(
            f"  CA {cert['subject']}: {fingerprint.grouped_hex(bytes.fromhex(cert['sha256']))}"
        )
    if not opened.accepted:
        raise click.ClickException(
            "REJECTED: the package's certificates or CRLs failed the checks above."
        )
    if opened.changes:
        click.echo("Changed since the CA certificates last verified on a call:")
        for line in opened.changes:
            click.echo(f"  {line}")
        click.echo("The partner is unverified until a new call confirms these certificates.")
    click.echo("ACCEPTED: every check passed. Trust nothing from it before the verification call.")


@group.command("inspect")
@click.argument("package_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def inspect(ctx: click.Context, package_file: Path) -> None:
    """Without decrypting: which keys a package is encrypted to, and its SHA-256."""
    from pkiadmin.core.exchange import package_inspect

    with opened_workspace(ctx) as ws, user_errors():
        found = package_inspect.inspect(ws, package_file)
    click.echo(found.describe())
