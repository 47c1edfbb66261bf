"""`pkiadmin-cli audit ...`: read and verify the hash-chained audit log."""

from __future__ import annotations

import json

import click

from pkiadmin.cli.context import echo_json, echo_table, opened_workspace
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.workspace import audit


@click.group("audit")
def group() -> None:
    """The tamper-evident audit log."""


@group.command("list")
@click.option("--limit", type=int, default=None, help="Only the last N entries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_entries(ctx: click.Context, limit: int | None, as_json: bool) -> None:
    """List audit entries, oldest first."""
    with opened_workspace(ctx) as ws:
        log = audit.entries(ws.db, limit)
    if as_json:
        echo_json(log)
        return
    echo_table(
        ("SEQ", "TIME (UTC)", "ACTOR", "OPERATION", "OBJECTS"),
        [
            (
                str(e.seq),
                e.at[:19].replace("T", " "),
                e.actor,
                e.operation,
                json.dumps(e.objects, sort_keys=True),
            )
            for e in log
        ],
    )


@group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """Check the hash chain; exit 1 and name the first bad entry if anything was edited, removed or moved."""
    with opened_workspace(ctx) as ws:
        verdict = audit_replay.verify(ws.db, ws.exports_dir)
    if as_json:
        echo_json(verdict)
    elif verdict.ok:
        click.echo(f"OK: {verdict.summary}.")
        click.echo(f"Head hash: {verdict.head_hash}")
    elif verdict.differences:
        if verdict.problem not in verdict.differences:  # the chain itself is broken too
            click.echo(f"FAILED at entry #{verdict.first_bad_seq}: {verdict.problem}", err=True)
        click.echo(
            "FAILED: what the database holds differs from what was recorded (the audit log, "
            "the signed checkpoints):",
            err=True,
        )
        for difference in verdict.differences:
            click.echo(f"  - {difference}", err=True)
    else:
        click.echo(f"FAILED at entry #{verdict.first_bad_seq}: {verdict.problem}", err=True)
    if not verdict.ok:
        ctx.exit(1)
