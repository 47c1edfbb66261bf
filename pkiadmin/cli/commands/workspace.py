"""`pkiadmin-cli workspace ...`: create and describe the workspace."""

from __future__ import annotations

import click

from pkiadmin.cli.context import echo_json, opened_workspace, user_errors, workspace_path
from pkiadmin.core.workspace import audit, checks, schema
from pkiadmin.core.workspace import folder as workspace


@click.group("workspace")
def group() -> None:
    """Create or inspect the workspace folder."""


@group.command("init")
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create a new workspace (database, keys/, gnupg/, exports/) in a new or empty folder."""
    path = workspace_path(ctx)
    if checks.is_workspace(path):
        click.echo(f"{path} is already a pkiadmin workspace.")
        return
    with user_errors(), workspace.create(path) as ws:
        click.echo(f"Created workspace {ws.path}")


@group.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def info(ctx: click.Context, as_json: bool) -> None:
    """Show where the workspace is, its schema version and how much it holds."""
    with opened_workspace(ctx) as ws:
        data = {
            "path": str(ws.path),
            "schema_version": schema.user_version(ws.db),
            "certificates": ws.db.execute("SELECT count(*) FROM certificates").fetchone()[0],
            "authorities": ws.db.execute("SELECT count(*) FROM authorities").fetchone()[0],
            "audit_entries": len(audit.entries(ws.db)),
        }
    if as_json:
        echo_json(data)
    else:
        for key, value in data.items():
            click.echo(f"{key.replace('_', ' ')}: {value}")


@group.command("confirm-clock")
@click.option("--by", "who", required=True, help="Who checked the clock (recorded).")
@click.option("--yes", is_flag=True, help="Do not ask; the clock was checked.")
@click.pass_context
def confirm_clock(ctx: click.Context, who: str, yes: bool) -> None:
    """Record that the clock was checked against a reliable source and is right (needed before a
    key is used when the clock is earlier than the last audit entry or 30 days after it)."""
    from datetime import UTC, datetime

    from pkiadmin.core.workspace import clock

    with opened_workspace(ctx) as ws, user_errors():
        found = clock.problem(ws.db)
        click.echo(f"The clock says {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC.")
        if found:
            click.echo(f"{found}.")
        if not yes and not click.confirm(
            "Did you check it against a reliable source (a radio clock, a second device)?"
        ):
            raise click.ClickException("Nothing was recorded.")
        confirmed = clock.confirm(ws.db, who)
    click.echo(f"Recorded: the clock was confirmed at {confirmed:%Y-%m-%d %H:%M:%S} UTC by {who}.")
