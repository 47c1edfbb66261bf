"""`pkiadmin-cli cert ...`: list, show, export and revoke certificates in the inventory.

Also `cert export-list` (the inventory view as a file) and `cert set` (the operator's metadata)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from pkiadmin.cli.context import (
    echo_json,
    echo_table,
    issuer_secret,
    opened_workspace,
    passphrase_options,
    read_workspace,
    shares_file_option,
    user_errors,
)
from pkiadmin.cli.filters import filter_options, parse_filter
from pkiadmin.core.base.display import safe
from pkiadmin.core.inventory import query
from pkiadmin.core.revocation import reasons


@click.group("cert")
def group() -> None:
    """Certificates in the inventory."""


_SORTS = {"id": query.Sort.ID, "name": query.Sort.COMMON_NAME,
          "not-before": query.Sort.NOT_BEFORE, "not-after": query.Sort.NOT_AFTER,
          "key": query.Sort.KEY}  # fmt: skip


@group.command("list")
@filter_options
@click.option("--sort", type=click.Choice(list(_SORTS)), default="id", show_default=True,
              help="Order by this column.")  # fmt: skip
@click.option("--ascending", is_flag=True, help="Smallest first (default: largest first).")
@click.option("--limit", type=int, default=None, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_certs(
    ctx: click.Context,
    search: str | None,
    filters: tuple[str, ...],
    sort: str,
    ascending: bool,
    limit: int | None,
    as_json: bool,
) -> None:
    """List the certificates in the inventory, all or those matching the search and filters."""
    with read_workspace(ctx) as db, user_errors():
        wanted = parse_filter(db, search, filters)
        if sort == "id" and not ascending and limit is None:
            records = tuple(query.iterate(db, wanted))
        else:
            records = query.page(
                db, wanted, sort=_SORTS[sort], descending=not ascending, limit=limit or -1
            )
        revoked = query.revoked_ids(db, [r.id for r in records])
    if as_json:
        echo_json(records)
        return
    echo_table(
        ("ID", "SUBJECT", "SERIAL", "NOT AFTER", "KEY", "CA", "STATUS"),
        [
            (
                str(r.id),
                r.subject,
                r.serial_hex[:16] + ("…" if len(r.serial_hex) > 16 else ""),
                f"{r.not_after:%Y-%m-%d}",
                r.key_algorithm,
                "yes" if r.is_ca else "no",
                "revoked" if r.id in revoked else r.status(),
            )
            for r in records
        ],
    )


@group.command("show")
@click.argument("cert_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, cert_id: int, as_json: bool) -> None:
    """Show one certificate: names, validity, key, fingerprints and every extension."""
    from pkiadmin.core.inventory import records as inventory
    from pkiadmin.core.revocation import records as revocation
    from pkiadmin.core.x509 import describe as certinfo

    with opened_workspace(ctx) as ws:
        record = inventory.get_record(ws.db, cert_id)
        details = certinfo.describe(inventory.load_certificate(ws.db, cert_id))
        revoked = revocation.for_certificate(ws.db, cert_id)
    if as_json:
        echo_json({"record": record, "details": details, "revocation": revoked})
        return
    rows = [
        ("Subject", details.subject),
        ("Issuer", details.issuer),
        ("Serial", details.serial_hex),
        ("Not before", details.not_before),
        ("Not after", details.not_after),
        ("Status", f"REVOKED: {revoked.describe()}" if revoked else record.status()),
        ("Public key", details.public_key),
        ("Signature", details.signature_algorithm),
        ("SHA-256", details.sha256_grouped),
        ("PGP words", " ".join(details.sha256_pgp_words)),
        ("SHA-1", details.sha1_grouped),
        ("SPKI SHA-256", details.spki_sha256_grouped),
        ("Source", record.source.value),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<14} {value}")
    click.echo("Extensions:")
    for ext in details.extensions:
        click.echo(f"  {ext.name}{' (critical)' if ext.critical else ''}:")
        for line in ext.lines:
            click.echo(f"    {line}")


@group.command("export")
@click.argument("cert_id", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(["pem", "der", "p7b"]), default="pem", show_default=True
)
@click.option(
    "--chain", "with_chain", is_flag=True, help="Include the issuers up to the root (pem or p7b)."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="File (or folder) to write; default: the workspace's exports/ folder. Never overwritten.",
)
@click.option(
    "--bundle",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write what a service deploys into this new folder: cert.pem, chain.pem, fullchain.pem, "
    "cert.p7b and trust.pem.",
)
@click.pass_context
def export_cert(
    ctx: click.Context,
    cert_id: int,
    fmt: str,
    with_chain: bool,
    out: Path | None,
    bundle: Path | None,
) -> None:
    """Write a certificate (or, with --chain, it and its issuers) as PEM, DER or a PKCS#7 bundle;
    with --bundle, the files a TLS service deploys."""
    from pkiadmin.core.inventory import export

    if bundle is not None:
        with opened_workspace(ctx) as ws, user_errors():
            written = export.export_bundle(ws, cert_id, bundle)
        for name, digest in written.files.items():
            click.echo(f"Wrote {written.folder / name}  SHA-256 {digest}")
        return
    with opened_workspace(ctx) as ws, user_errors():
        result = export.export_certificate(
            ws, cert_id, export.CertFormat.parse(fmt), out, with_chain
        )
    click.echo(f"Wrote {result.path}")
    click.echo(f"  SHA-256 of the file: {result.sha256}")


@group.command("renew")
@click.argument("cert_id", type=int)
@click.option(
    "--csr",
    "csr_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The CSR with the key of the successor (a new key, as a rule).",
)
@click.option("--validity-days", type=int, default=None, help="Default: the profile's.")
@passphrase_options
@shares_file_option
@click.option("--yes", is_flag=True, help="Do not ask after showing what will be signed.")
@click.pass_context
def renew(
    ctx: click.Context,
    cert_id: int,
    csr_file: Path,
    validity_days: int | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
    yes: bool,
) -> None:
    """Issue the successor of an end-entity certificate: the same subject, SANs, profile and
    issuing CA, the CSR's key; the inventory links the two."""
    from pkiadmin.core.issuance import authorities, end_entity

    with opened_workspace(ctx) as ws, user_errors():
        data = csr_file.read_bytes()
        plan = end_entity.plan_renewal(ws, cert_id, data, csr_file.name, validity_days)
        click.echo(safe(end_entity.preview(plan)))
        if not yes and not click.confirm("Sign the successor?", default=False):
            raise click.ClickException("Nothing was signed.")
        secret, words = issuer_secret(
            authorities.get_authority(ws.db, plan.issuer_ca_id),
            passphrase_env,
            passphrase_fd,
            shares_file,
        )
        issued = end_entity.sign_renewal(ws, plan, data, csr_file.name, secret, words)
    click.echo(f"Signed certificate {issued.cert_id}, the successor of certificate {cert_id}.")


@group.command("revoke")
@click.argument("cert_id", type=int, required=False)
@click.option(
    "--serial", default=None, help="Find the certificate by its serial (hex) instead of its id."
)
@click.option(
    "--reason",
    type=click.Choice(list(reasons.NAMES)),
    required=True,
    help="RFC 5280 reason code. A CA certificate needs a meaningful one (not unspecified; "
    "BR 7.2.2); cACompromise is for CA certificates only.",
)
@click.option(
    "--revoked-at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="Revocation date, UTC (default: now).",
)
@click.option(
    "--invalidity-date",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="When the key is known or suspected to have been compromised, UTC.",
)
@click.option("--note", default="", help="The operator's note, kept in the audit log.")
@click.option(
    "--serials-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Revoke many at once: a file of serials (hex), one per line, issued by --issuer.",
)
@click.option(
    "--issued-by",
    type=int,
    default=None,
    help="Revoke every valid certificate CA ISSUED_BY issued (after its compromise), or, with "
    "--serials-file, only those listed.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def revoke(
    ctx: click.Context,
    cert_id: int | None,
    serial: str | None,
    reason: str,
    revoked_at: datetime | None,
    invalidity_date: datetime | None,
    note: str,
    serials_file: Path | None,
    issued_by: int | None,
    yes: bool,
) -> None:
    """Record the revocation of a certificate issued by a CA held here, or of many as one
    operation (--serials-file, --issued-by); published in the issuer's next CRL, which must be
    signed within 24 hours (see crl status)."""
    from pkiadmin.core.inventory import records as inventory
    from pkiadmin.core.revocation import records as revocation

    many = serials_file is not None or issued_by is not None
    if many:
        if cert_id is not None or serial is not None:
            raise click.UsageError("Give a certificate, or --serials-file / --issued-by, not both.")
        _revoke_many(ctx, serials_file, issued_by, reason, revoked_at, invalidity_date, note, yes)
        return
    if (cert_id is None) == (serial is None):
        raise click.UsageError("Give a certificate id or --serial, not both.")
    with opened_workspace(ctx) as ws, user_errors():
        target = cert_id if cert_id is not None else revocation.find_by_serial(ws.db, serial or "")
        record = inventory.get_record(ws.db, target)
        click.echo(f"Revoke certificate {record.id}: {record.subject} (serial {record.serial_hex})")
        if record.is_ca:
            click.secho(
                "This is a CA certificate: once the CRL is published, relying parties reject it and every "
                "certificate it issued, and it cannot be undone.",
                fg="red",
                bold=True,
            )
        if not yes and not click.confirm("Record this revocation?", default=False):
            raise click.ClickException("Nothing was revoked.")
        done = revocation.revoke(
            ws,
            record.id,
            reason,
            revoked_at.replace(tzinfo=UTC) if revoked_at else None,
            invalidity_date.replace(tzinfo=UTC) if invalidity_date else None,
            note,
        )
    click.echo(f"Recorded: {done.describe()}.")
    click.echo(
        f"Sign a CRL of CA {done.ca_id} by {done.crl_deadline:%Y-%m-%d %H:%M} UTC: "
        f"pkiadmin-cli crl issue {done.ca_id} (or a crl ceremony)."
    )


def _revoke_many(
    ctx: click.Context,
    serials_file: Path | None,
    issued_by: int | None,
    reason: str,
    revoked_at: datetime | None,
    invalidity_date: datetime | None,
    note: str,
    yes: bool,
) -> None:
    from pkiadmin.core.revocation import records as revocation

    with opened_workspace(ctx) as ws, user_errors():
        ids = revocation.select_for_revocation(
            ws.db,
            issued_by,
            serials_file.read_text(encoding="utf-8").split() if serials_file else None,
        )
        click.echo(f"Revoke {len(ids):,} certificate(s) as one operation, reason {reason}.")
        if not yes and not click.confirm("Record these revocations?", default=False):
            raise click.ClickException("Nothing was revoked.")
        done = revocation.revoke_many(
            ws,
            ids,
            reason,
            revoked_at.replace(tzinfo=UTC) if revoked_at else None,
            invalidity_date.replace(tzinfo=UTC) if invalidity_date else None,
            note,
        )
    click.echo(
        f"Recorded batch {done.batch}: {done.count:,} revocation(s) "
        f"({', '.join(f'{safe(n)}: {c:,}' for n, c in done.by_ca.items())}); manifest SHA-256 "
        f"{done.manifest_sha256}. Sign their CRLs within 24 hours (crl issue)."
    )


@group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--p12-password-env",
    metavar="VAR",
    default=None,
    help="The password of PKCS#12 files, from this variable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def import_certs(
    ctx: click.Context, paths: tuple[Path, ...], p12_password_env: str | None, as_json: bool
) -> None:
    """Import existing certificates from files and folders (PEM bundles, DER, PKCS#7, PKCS#12);
    duplicates are skipped, issuers linked, every refused file named with its reason. Imported
    certificates are never trusted automatically."""
    import os

    from pkiadmin.core.inventory import importer as bulk_import

    password = os.environ.get(p12_password_env) if p12_password_env else None
    with opened_workspace(ctx) as ws, user_errors():
        summary = bulk_import.import_paths(ws, list(paths), password)
    if as_json:
        echo_json(summary)
    else:
        click.echo(
            f"{summary.files} file(s): {summary.imported} certificate(s) imported, "
            f"{summary.duplicates} already in the inventory, {len(summary.refused)} file(s) refused."
        )
        for name, reason in summary.refused:
            click.echo(f"  refused {name}: {reason}")
    if summary.refused:
        ctx.exit(1)


@click.command("export-list")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="A new file to write.")
@click.pass_context
def export_list(
    ctx: click.Context, search: str | None, filters: tuple[str, ...], fmt: str, out: Path
) -> None:
    """Write every certificate of a (filtered) view as CSV or JSON, with status and findings."""
    from pkiadmin.core.inventory import view_export

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
    from pkiadmin.core.inventory import metadata

    change = metadata.MetadataChange(service, environment, owner_team, partner, tags, note)
    with opened_workspace(ctx) as ws, user_errors():
        record = metadata.set_metadata(ws, cert_id, change)
    click.echo(
        f"Certificate {record.id}: service '{record.service}', environment '{record.environment}', "
        f"owner team '{record.owner_team}', tags '{record.tags}'."
    )


group.add_command(export_list)
group.add_command(set_metadata)
