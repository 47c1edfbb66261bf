"""`pkiadmin-cli crl ...`: issue, show, export CRLs, the re-signing calendar, and CRL settings."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import click

from pkiadmin.cli.commands.ocsp import echo_ocsp_export
from pkiadmin.cli.context import (
    echo_json,
    echo_table,
    issuer_secret,
    opened_workspace,
    passphrase_options,
    shares_file_option,
    user_errors,
)
from pkiadmin.core.base import fingerprint
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.revocation import calendar as crl_status
from pkiadmin.core.revocation import crl, publish

_COLOURS = {
    crl_status.CrlState.OK: "green",
    crl_status.CrlState.DUE_SOON: "yellow",
    crl_status.CrlState.OVERDUE: "red",
    crl_status.CrlState.EXPIRED: "red",
    crl_status.CrlState.MISSING: "red",
    crl_status.CrlState.FUTURE: "red",
}


@click.group("crl")
def group() -> None:
    """Certificate revocation lists of the CAs held here, and when they must be re-signed."""


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


@group.command("issue")
@click.argument("ca_id", type=int)
@passphrase_options
@shares_file_option
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also export it (DER and PEM) into this folder.",
)
@click.option(
    "--ocsp/--no-ocsp",
    "with_ocsp",
    default=True,
    show_default=True,
    help="Also sign a pre-signed OCSP response for every certificate the CA issued (into "
    "exports/ocsp/, or --ocsp-dir), valid no longer than the CRL.",
)
@click.option(
    "--ocsp-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the OCSP responses go (a new or empty folder).",
)
@click.option(
    "--ocsp-days",
    type=int,
    default=None,
    help="How long the OCSP responses are valid (default and at most: the CRL period; BR 4.9.10 "
    "allows 10 days for publicly trusted subscriber certificates).",
)
@click.pass_context
def issue(
    ctx: click.Context,
    ca_id: int,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
    export_dir: Path | None,
    with_ocsp: bool,
    ocsp_dir: Path | None,
    ocsp_days: int | None,
) -> None:
    """Sign CA_ID's next CRL now, with every revocation recorded for it, and the OCSP responses
    of what it issued (quick mode, audited as unwitnessed)."""
    with opened_workspace(ctx) as ws, user_errors():
        draft = crl.prepare(ws, ca_id)
        lines = draft.describe()  # a line per entry: written 1,000 at a time, not one by one
        for start in range(0, len(lines), 1000):
            click.echo("\n".join(lines[start : start + 1000]))
        del lines
        ca_name = draft.ca_name
        secret, words = issuer_secret(
            authorities.get_authority(ws.db, ca_id), passphrase_env, passphrase_fd, shares_file
        )
        # The CRL signed is the one just shown (signing checks it still lists every revocation
        # recorded); it is not prepared a second time, nor held twice (100,000 entries).
        published = publish.issue(
            ws,
            ca_id,
            secret,
            words,
            ocsp_folder=ocsp_dir,
            with_ocsp=with_ocsp,
            ocsp_days=ocsp_days,
            draft=draft,
        )
        issued = published.crl
        exported = crl_status.export(ws, issued.crl_id, export_dir) if export_dir else None
    sha = hashlib.sha256(issued.signed.der).digest()
    click.echo(f"Signed CRL {issued.signed.number} of '{ca_name}' (id {issued.crl_id}).")
    click.echo(f"  SHA-256:   {fingerprint.grouped_hex(sha)}")
    click.echo(f"  PGP words: {' '.join(fingerprint.pgp_words(sha))}")
    click.echo(
        f"  lint:      {'; '.join(str(f) for f in issued.signed.lint_after.findings) or 'no findings'}"
    )
    if exported:
        click.echo(f"  exported:  {exported.der_path} and {exported.pem_path}")
    else:
        click.echo(f"Export it with: pkiadmin-cli crl export {issued.crl_id}")
    if published.ocsp is not None:
        echo_ocsp_export(published.ocsp)


@group.command("show")
@click.argument("crl_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, crl_id: int | None, as_json: bool) -> None:
    """List the CRLs signed here, or show one with its entries."""
    with opened_workspace(ctx) as ws, user_errors():
        if crl_id is None:
            records = crl.list_crls(ws.db)
            if as_json:
                echo_json(records)
                return
            echo_table(
                ("ID", "CA", "NUMBER", "THIS UPDATE", "NEXT UPDATE", "ENTRIES", "CEREMONY"),
                [
                    (
                        str(r.id),
                        r.ca_name,
                        str(r.number),
                        _when(r.this_update),
                        _when(r.next_update),
                        str(r.entries),
                        str(r.ceremony_id or "-"),
                    )
                    for r in records
                ],
            )
            return
        record = crl.get(ws.db, crl_id)
        signed = crl.load(ws.db, crl_id)
    entries = [
        {
            "serial": inventory.serial_hex(e.serial_number),
            "revoked_at": e.revocation_date_utc.isoformat(),
            "extensions": [getattr(x.oid, "_name", x.oid.dotted_string) for x in e.extensions],
        }
        for e in signed
    ]
    if as_json:
        echo_json({"crl": record, "entries": entries})
        return
    click.echo(f"CRL {record.number} of '{record.ca_name}' (id {record.id})")
    click.echo(f"  thisUpdate: {_when(record.this_update)} UTC")
    click.echo(f"  nextUpdate: {_when(record.next_update)} UTC")
    click.echo(f"  SHA-256:    {fingerprint.grouped_hex(bytes.fromhex(record.sha256))}")
    click.echo(f"  entries:    {record.entries}")
    for entry in entries:
        click.echo(
            f"    {entry['serial']}  revoked {entry['revoked_at']}  {', '.join(entry['extensions'])}"
        )


@group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """When each CA's CRL runs out and the next ceremony is due; exit 1 when any needs attention."""
    with opened_workspace(ctx) as ws:
        lines = crl_status.status(ws.db)
    if as_json:
        echo_json(lines)
    else:
        for line in lines:
            colour = _COLOURS[line.state]
            click.secho(f"{line.state.value.upper():<9}", fg=colour, bold=True, nl=False)
            click.echo(
                f" {line.ca_name}: CRL {line.number or '-'}, nextUpdate {_when(line.next_update)} UTC"
                f" ({line.days_left if line.days_left is not None else '-'} days left),"
                f" ceremony due {_when(line.due_at)} UTC — {line.reason}"
            )
            if line.ocsp_next_update is not None or line.ocsp_problem:
                click.echo(
                    f"          OCSP responses valid until {_when(line.ocsp_next_update)} UTC"
                    + (f" — {line.ocsp_problem}" if line.ocsp_problem else "")
                )
            for pending in line.pending:
                click.echo(
                    f"          pending: certificate {pending.cert_id} ({pending.subject}), sign a CRL by "
                    f"{pending.crl_deadline:%Y-%m-%d %H:%M} UTC"
                )
    if any(line.needs_attention for line in lines):
        ctx.exit(1)


@group.command("export")
@click.argument("crl_id", type=int)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder (default: the workspace's exports/crls).",
)
@click.pass_context
def export_crl(ctx: click.Context, crl_id: int, out_dir: Path | None) -> None:
    """Write the CRL as <ca-name>.crl (DER) and <ca-name>.crl.pem, replacing only an older CRL of the same CA."""
    with opened_workspace(ctx) as ws, user_errors():
        result = crl_status.export(ws, crl_id, out_dir)
    click.echo(f"Wrote {result.der_path} and {result.pem_path} (SHA-256 {result.sha256}).")


@group.command("settings")
@click.argument("ca_id", type=int)
@click.option(
    "--period-days", type=int, required=True, help="nextUpdate = thisUpdate + this (at most 365)."
)
@click.option(
    "--overlap-days",
    type=int,
    required=True,
    help="The next ceremony is due this long before nextUpdate.",
)
@click.pass_context
def settings(ctx: click.Context, ca_id: int, period_days: int, overlap_days: int) -> None:
    """Set a CA's CRL period and overlap (defaults: 365 and 30 days)."""
    with opened_workspace(ctx) as ws, user_errors():
        crl.set_settings(ws, ca_id, period_days, overlap_days)
    click.echo(f"CA {ca_id}: CRL period {period_days} days, overlap {overlap_days} days.")
