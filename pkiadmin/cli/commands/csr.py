"""`pkiadmin-cli csr ...`: import, check and show certificate signing requests."""

from __future__ import annotations

from pathlib import Path

import click

from pkiadmin.cli.context import echo_json, echo_table, opened_workspace, user_errors
from pkiadmin.core.base import fingerprint
from pkiadmin.core.issuance import requests
from pkiadmin.core.workspace import blocklists
from pkiadmin.core.x509 import csr


@click.group("csr")
def group() -> None:
    """Certificate signing requests from the online CAs."""


def _print_info(info: csr.CsrInfo) -> None:
    digest = bytes.fromhex(info.spki_sha256)
    click.echo(f"Subject:        {info.subject}")
    click.echo(f"Public key:     {info.public_key}")
    click.echo(f"Signature:      {info.signature_algorithm}")
    click.echo(f"SPKI SHA-256:   {fingerprint.grouped_hex(digest)}")
    click.echo(f"PGP words:      {' '.join(info.spki_pgp_words)}")
    click.echo("Compare the SPKI SHA-256 with the requester (read aloud) before signing.")
    for ext in info.requested_extensions:
        click.echo(
            f"Requests {ext.name}{' (critical)' if ext.critical else ''}: {'; '.join(ext.lines)}"
        )
    for finding in info.findings:
        click.echo(f"{'REFUSED' if finding.blocking else 'warning'}: {finding.message}")


@group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Check a CSR file without importing it; exit 1 if it would be refused. The known-bad-key
    checks run, but not the workspace's blocklists: csr import checks those too."""
    with user_errors():
        info = csr.check(csr.load(file.read_bytes(), file.name))
    _print_info(info)
    if not info.acceptable:
        raise click.ClickException("The CSR would be refused.")
    click.echo("The CSR is acceptable.")


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_csr(ctx: click.Context, file: Path) -> None:
    """Check a CSR (PEM or DER) and store it for signing; a refused CSR is not stored."""
    with opened_workspace(ctx) as ws, user_errors():
        record, info = requests.import_csr(ws, file.read_bytes(), file.name)
    _print_info(info)
    click.echo(
        f"Imported as CSR {record.id}. Sign it with: pkiadmin-cli ca sign-csr CA_ID {record.id}"
    )


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_csrs(ctx: click.Context, as_json: bool) -> None:
    """List imported CSRs."""
    with opened_workspace(ctx) as ws:
        records = requests.list_csrs(ws.db)
    if as_json:
        echo_json(records)
        return
    echo_table(
        ("ID", "SUBJECT", "STATUS", "CERT", "IMPORTED"),
        [(str(r.id), r.subject, r.status, str(r.cert_id or "-"), r.imported_at) for r in records],
    )


@group.command("show")
@click.argument("csr_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, csr_id: int, as_json: bool) -> None:
    """Show an imported CSR and its findings."""
    with opened_workspace(ctx) as ws, user_errors():
        record = requests.get(ws, csr_id)
        info = csr.check(requests.load_request(ws, csr_id), blocklists.installed(ws))
    if as_json:
        echo_json({"record": record, "info": info})
        return
    click.echo(
        f"CSR {record.id} ({record.status}), from {record.source}, imported {record.imported_at}"
    )
    _print_info(info)
