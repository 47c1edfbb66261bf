"""`pkiadmin-cli compliance ...`: the compliance policy, its summary and the report."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from datetime import UTC, datetime
from pathlib import Path

import click

from pkiadmin.cli.context import echo_json, opened_workspace, user_errors
from pkiadmin.core.inventory import compliance, compliance_report


@click.group("compliance")
def group() -> None:
    """Compliance of every certificate with the policy: findings, policy, reports."""


@group.command("summary")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def summary(ctx: click.Context, as_json: bool) -> None:
    """How many certificates have each finding (exits 1 when any has one)."""
    with opened_workspace(ctx) as ws:
        counts = compliance.summary(ws.db, datetime.now(UTC))
    if as_json:
        echo_json(counts)
    else:
        for r in compliance.RULES:
            click.echo(f"{counts[r.code]:>9,}  {r.code:<24} {r.title}")
    if any(counts.values()):
        ctx.exit(1)


@group.command("policy")
@click.option("--min-rsa-bits", type=int, default=None)
@click.option("--min-ec-bits", type=int, default=None)
@click.option("--max-end-entity-days", type=int, default=None)
@click.option("--max-intermediate-days", type=int, default=None)
@click.option("--max-root-days", type=int, default=None)
@click.pass_context
def policy(ctx: click.Context, /, **limits: int | None) -> None:
    """Show the policy, or change the given limits (every finding is then recomputed, audited)."""
    with opened_workspace(ctx) as ws, user_errors():
        current = compliance.load_policy(ws.db)
        given = {k: v for k, v in limits.items() if v is not None}
        if given:
            current = replace(current, **given)
            compliance_report.set_policy(ws, current)
    for f in fields(current):
        click.echo(f"{f.name.replace('_', '-'):<24} {asdict(current)[f.name]}")


@group.command("report")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "pdf"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="A new file to write.")
@click.pass_context
def report(ctx: click.Context, fmt: str, out: Path) -> None:
    """Write the compliance report: the policy, counts per finding, every certificate with one."""
    with opened_workspace(ctx) as ws, user_errors():
        result = compliance_report.write(ws, compliance_report.ReportFormat(fmt), out)
    click.echo(
        f"Wrote {out}: {len(result.findings)} of {result.total} certificate(s) have findings."
    )
