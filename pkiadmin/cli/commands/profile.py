"""`pkiadmin-cli profile ...`: the end-entity certificate profiles, built in and the operator's own."""

from __future__ import annotations

from pathlib import Path

import click

from pkiadmin.cli.context import echo_json, echo_table, opened_workspace, user_errors
from pkiadmin.core.base.display import safe
from pkiadmin.core.issuance import profiles


@click.group("profile")
def group() -> None:
    """End-entity profiles: what a TLS server, client, OCSP responder... certificate contains."""


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_profiles(ctx: click.Context, as_json: bool) -> None:
    """Every profile this workspace can sign with."""
    with opened_workspace(ctx) as ws, user_errors():
        found = profiles.all_profiles(ws.db)
    if as_json:
        echo_json([{k: v for k, v in vars(p).items() if k != "text"} for p in found.values()])
        return
    echo_table(
        ("NAME", "KIND", "EKU", "DAYS", "CAP", "DESCRIPTION"),
        [
            (
                p.name,
                "built-in" if p.builtin else "imported",
                ",".join(p.ekus),
                str(p.validity_days),
                str(p.max_validity_days),
                safe(p.description),
            )
            for p in found.values()
        ],
    )


@group.command("show")
@click.argument("name")
@click.pass_context
def show(ctx: click.Context, name: str) -> None:
    """The profile's TOML, as reviewed."""
    with opened_workspace(ctx) as ws, user_errors():
        text = profiles.get(ws.db, name).text
    for line in text.rstrip("\n").splitlines():
        click.echo(safe(line))


@group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_profile(ctx: click.Context, file: Path) -> None:
    """Check a profile file strictly and store it in the workspace (a change of the same name
    replaces it; audited)."""
    with opened_workspace(ctx) as ws, user_errors():
        found = profiles.import_profile(ws, file)
    click.echo(f"Imported the profile {found.describe()}.")


@group.command("export")
@click.argument("name")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="A new file to write.")
@click.pass_context
def export(ctx: click.Context, name: str, out: Path) -> None:
    """Write a profile's TOML to a new file, to review or to import elsewhere."""
    with opened_workspace(ctx) as ws, user_errors():
        profiles.export(ws, name, out)
    click.echo(f"Wrote {out}")


@group.command("remove")
@click.argument("name")
@click.pass_context
def remove(ctx: click.Context, name: str) -> None:
    """Remove a profile you imported (certificates issued under it keep its name; audited)."""
    with opened_workspace(ctx) as ws, user_errors():
        profiles.remove(ws, name)
    click.echo(f"Removed the profile {name}.")
