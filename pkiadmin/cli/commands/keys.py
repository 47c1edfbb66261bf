"""`pkiadmin-cli keys ...`: known-bad keys (ROCA, Fermat, small and shared factors, published
private keys) and the blocklists they are checked against."""

from __future__ import annotations

from pathlib import Path

import click

from pkiadmin.cli.context import echo_json, echo_table, opened_workspace, user_errors
from pkiadmin.core.base.display import safe
from pkiadmin.core.workspace import blocklists
from pkiadmin.core.x509 import keycheck


@click.group("keys")
def group() -> None:
    """Known-bad keys: check a file, and the blocklists every CSR and signing is checked against."""


@group.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def check(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Check the public keys of certificates, CSRs or public-key files against every known-bad
    key check and the workspace's blocklists; exit 1 if one is known to be bad."""
    bad = 0
    with opened_workspace(ctx) as ws, user_errors():
        lists = blocklists.installed(ws)
        for file in files:
            try:
                data = file.read_bytes()
            except OSError as exc:
                raise click.ClickException(f"{file} cannot be read ({exc.strerror}).") from exc
            for verdict in keycheck.check_file(data, file.name, lists):
                if verdict.found:
                    bad += 1
                    reasons = "; ".join(str(f) for f in verdict.found)
                    click.echo(f"{safe(file.name)}: {verdict.label}: KNOWN BAD: {reasons}")
                else:
                    click.echo(f"{safe(file.name)}: {verdict.label}: no known weakness")
    if not lists:
        click.echo("No blocklist is installed: published private keys were not looked up.")
    if bad:
        raise click.ClickException(f"{bad} key(s) are known to be bad and must not be certified.")


@group.group("blocklist")
def blocklist() -> None:
    """Blocklists of published private keys (badkeys' blocklist.dat), installed from a medium."""


@blocklist.command("install")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--metadata",
    type=click.Path(dir_okay=False, path_type=Path),
    help="badkeys' badkeysdata.json published with the list: its SHA-256 is checked.",
)
@click.pass_context
def install(ctx: click.Context, file: Path, metadata: Path | None) -> None:
    """Check and install a blocklist (blocklist.dat or blocklist.dat.xz); audited."""
    with opened_workspace(ctx) as ws, user_errors():
        entry = blocklists.install(ws, file, metadata)
    click.echo(f"Installed {safe(entry.describe())}.")


@blocklist.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_blocklists(ctx: click.Context, as_json: bool) -> None:
    """The installed blocklists, each checked against its recorded SHA-256."""
    with opened_workspace(ctx) as ws, user_errors():
        items = blocklists.recorded(ws)
        blocklists.installed(ws)
    if as_json:
        echo_json([vars(i) for i in items])
        return
    if not items:
        click.echo("No blocklist is installed (keys blocklist install FILE).")
        return
    echo_table(
        ("NAME", "KEYS", "LISTS", "SHA-256", "INSTALLED"),
        [
            (
                safe(i.name),
                str(i.entries),
                ",".join(sorted(set(i.lists.values()))),
                i.sha256[:16],
                i.installed_at,
            )
            for i in items
        ],
    )


@blocklist.command("remove")
@click.argument("name")
@click.pass_context
def remove(ctx: click.Context, name: str) -> None:
    """Remove an installed blocklist (by its name or SHA-256); audited."""
    with opened_workspace(ctx) as ws, user_errors():
        entry = blocklists.remove(ws, name)
    click.echo(f"Removed {safe(entry.name)}.")
