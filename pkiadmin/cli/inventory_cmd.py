"""`pkiadmin-cli cert export-list|set` and `pkiadmin-cli compliance ...`: views of the inventory as
files, the operator's metadata, and the compliance policy and report."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from datetime import UTC, datetime
from pathlib import Path

import click

from pkiadmin.cli.context import echo_json, opened_workspace, user_errors
from pkiadmin.cli.filters import filter_options, parse_filter
from pkiadmin.core.inventory import compliance, compliance_report, metadata, view_export
from pkiadmin.core.issuance import openssl_index


@click.command("export-list")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="A new file to write.")
@click.pass_context
def export_list(
    ctx: click.Context, search: str | None, filters: tuple[str, ...], fmt: str, out: Path
) -> None:
    """Write every certificate of a (filtered) view as CSV or JSON, with status and findings."""
    with opened_workspace(ctx) as ws, user_errors():
        wanted = parse_filter(ws.db, search, filters)
        result = view_export.export_view(ws, wanted, view_export.ViewFormat(fmt), out)
    click.echo(f"Wrote {result.rows} certificate(s) to {result.path}")


@click.command("set")
@click.argument("cert_id", type=int)
@click.option("--service", default=None, help="The service the certificate belongs to.")
@click.option("--environment", default=None, help="e.g. production, staging ('' clears).")
@click.option("--owner-team", default=None, help="The team that owns it.")
@click.option("--partner", default=None, help="The partner it belongs to, by name ('' clears).")
@click.option("--tags", default=None, help="Space- or comma-separated tags (replaces the tags).")
@click.option("--note", default=None, help="A free note.")
@click.pass_context
def set_metadata(
    ctx: click.Context,
    cert_id: int,
    service: str | None,
    environment: str | None,
    owner_team: str | None,
    partner: str | None,
    tags: str | None,
    note: str | None,
) -> None:
    """Edit a certificate's metadata (audited); fields not given are left as they are."""
    change = metadata.MetadataChange(service, environment, owner_team, partner, tags, note)
    with opened_workspace(ctx) as ws, user_errors():
        record = metadata.set_metadata(ws, cert_id, change)
    click.echo(
        f"Certificate {record.id}: service '{record.service}', environment '{record.environment}', "
        f"owner team '{record.owner_team}', tags '{record.tags}'."
    )


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


@click.command("index-txt")
@click.argument("ca_id", type=int)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="A new file to write.")
@click.pass_context
def index_txt(ctx: click.Context, ca_id: int, out: Path) -> None:
    """Write the OpenSSL CA database (index.txt) of what this CA issued, for an `openssl ca` setup."""
    with opened_workspace(ctx) as ws, user_errors():
        entries = openssl_index.write_index_txt(ws, ca_id, out)
    click.echo(f"Wrote {out} with {entries} entr{'y' if entries == 1 else 'ies'}.")
