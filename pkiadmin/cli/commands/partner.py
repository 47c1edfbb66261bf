"""`pkiadmin-cli partner ...`: partner organisations, their OpenPGP keys, and our officer key.

Also `partner verify` (the call, at the terminal) and `partner sheet` (its printable sheet)."""

from __future__ import annotations

from pathlib import Path

import click

from pkiadmin.cli.context import (
    echo_json,
    echo_table,
    opened_workspace,
    read_passphrase,
    user_errors,
)
from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.display import safe
from pkiadmin.core.exchange import call_records as calls
from pkiadmin.core.exchange import partners, pgp
from pkiadmin.core.exchange import trust_store as trust
from pkiadmin.core.exchange.call import Comparison, Value, compare_words, confirmed, pair_code


@click.group("partner")
def group() -> None:
    """Partner organisations and the OpenPGP keys packages travel under."""


@group.command("add")
@click.argument("name")
@click.option("--organisation", required=True, help="The partner organisation's full name.")
@click.option(
    "--contact",
    "contacts",
    multiple=True,
    metavar="NAME|ROLE|PHONE|SOURCE",
    help="A contact; SOURCE says where the phone number came from (obtained independently). Repeatable.",
)
@click.option("--notes", default="", help="Free text.")
@click.pass_context
def add(
    ctx: click.Context, name: str, organisation: str, contacts: tuple[str, ...], notes: str
) -> None:
    """Register a partner under a short NAME."""
    parsed = []
    for text in contacts:
        parts = [p.strip() for p in text.split("|")]
        if len(parts) != 4:
            raise click.UsageError(f"--contact '{text}' needs NAME|ROLE|PHONE|SOURCE.")
        parsed.append(partners.Contact(*parts))
    with opened_workspace(ctx) as ws, user_errors():
        partner = partners.add(ws, name, organisation, tuple(parsed), notes)
    click.echo(f"Added partner {partner.id}: {partner.name} ({partner.organisation}).")
    click.echo(
        f"Next: pkiadmin-cli partner import-key {partner.name} THEIR-KEY.asc --fingerprint FPR"
    )


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_partners(ctx: click.Context, as_json: bool) -> None:
    """Partners with their key and its status."""
    with opened_workspace(ctx) as ws:
        found = partners.list_partners(ws.db)
    if as_json:
        echo_json(found)
        return
    echo_table(
        ("ID", "NAME", "ORGANISATION", "OPENPGP KEY", "STATUS"),
        [
            (
                str(p.id),
                p.name,
                p.organisation,
                pgp.grouped(p.pgp_fingerprint) if p.pgp_fingerprint else "-",
                p.key_status,
            )
            for p in found
        ],
    )


@group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """One partner: contacts, key fingerprint (hex and PGP words), packages sent and received."""
    with opened_workspace(ctx) as ws, user_errors():
        partner = partners.get(ws.db, name)
        packages = list(
            ws.db.query(
                "SELECT direction, package_id, at, result, file FROM packages WHERE partner_id = ? ORDER BY id",
                [partner.id],
            )
        )
        cas = [c for c in trust.partner_certificates(ws.db) if c.partner_id == partner.id]
    if as_json:
        echo_json({"partner": partner, "packages": packages, "ca_certificates": cas})
        return
    click.echo(f"{partner.name}: {partner.organisation} (key {partner.key_status})")
    if partner.pgp_fingerprint:
        click.echo(f"  OpenPGP key: {pgp.grouped(partner.pgp_fingerprint)}")
        click.echo(
            f"  PGP words:   {' '.join(fingerprint.pgp_words(bytes.fromhex(partner.pgp_fingerprint)))}"
        )
    for c in partner.contacts:
        click.echo(f"  contact: {c.name} ({c.role}), {c.phone} — number from {c.phone_source}")
    for p in packages:
        click.echo(
            f"  {p['direction']:<8} {p['at']}  {p['result']:<8} {p['package_id']}  {p['file']}"
        )
    for ca in cas:
        state = "trusted" if ca.trusted else "not trusted"
        click.echo(
            f"  CA certificate {ca.cert_id} ({state}): {safe(ca.subject)} SHA-256 {ca.sha256}"
        )


@group.command("import-key")
@click.argument("name")
@click.argument("key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--fingerprint",
    "expected",
    default=None,
    help="The full fingerprint as read out by the partner; a different key is refused.",
)
@click.pass_context
def import_key(ctx: click.Context, name: str, key_file: Path, expected: str | None) -> None:
    """Import the partner's OpenPGP public key; it stays unverified until the fingerprint call."""
    with opened_workspace(ctx) as ws, user_errors():
        partner = partners.import_key(ws, name, key_file.read_bytes(), expected)
    assert partner.pgp_fingerprint is not None  # noqa: S101
    click.echo(f"Imported {pgp.grouped(partner.pgp_fingerprint)} for {partner.name}: unverified.")
    click.echo(
        "Confirm it on a call to a number obtained independently before trusting anything it signs."
    )


@group.command("officer-key")
@click.option(
    "--generate",
    "generate_for",
    nargs=2,
    metavar="NAME EMAIL",
    default=None,
    help="Generate our officer key.",
)
@click.option(
    "--import",
    "import_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Use an existing key (secret key file, armored).",
)
@click.option(
    "--export",
    "export_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write our public key for partners.",
)
@click.option(
    "--passphrase-env",
    metavar="VAR",
    default=None,
    help="The officer key's passphrase from this variable.",
)
@click.pass_context
def officer_key(
    ctx: click.Context,
    generate_for: tuple[str, str] | None,
    import_file: Path | None,
    export_file: Path | None,
    passphrase_env: str | None,
) -> None:
    """Our officer key, which signs packages and receives partners' packages: show, generate, import, export."""
    with opened_workspace(ctx) as ws, user_errors():
        if generate_for:
            secret = read_passphrase(
                passphrase_env, None, new=True, prompt="Officer key passphrase"
            )
            partners.generate_officer_key(ws, generate_for[0], generate_for[1], secret)
        elif import_file:
            keyring = partners.keyring(ws)
            imported = keyring.call(
                "import key", lambda: keyring.gpg.import_keys(import_file.read_bytes())
            )
            secret_keys = [
                k for k in keyring.keys(secret=True) if k.fingerprint in set(imported.fingerprints)
            ]
            if len(secret_keys) != 1:
                raise click.ClickException(
                    "The file must hold exactly one secret key (the officer key)."
                )
            partners.set_officer_key(ws, secret_keys[0], "imported")
        fpr = partners.officer_fingerprint(ws.db)
        if fpr is None:
            raise click.ClickException(
                "There is no officer key yet: pkiadmin-cli partner officer-key --generate NAME EMAIL"
            )
        if export_file:
            partners.export_officer_key(ws, export_file)
    click.echo(f"Officer key: {pgp.grouped(fpr)}")
    click.echo(f"PGP words:   {' '.join(fingerprint.pgp_words(bytes.fromhex(fpr)))}")
    if export_file:
        click.echo(f"Wrote the public key to {export_file}.")


@group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="A trust anchor (the partner's root, as confirmed on the call). Repeatable; "
    "default: the self-signed certificates among PATHS.",
)
@click.option(
    "--at", "at", default=None, help="Validation time (ISO 8601, UTC if no zone); default: now."
)
@click.option("--ca/--any", "require_ca", default=True, show_default=True,
              help="Require every certificate to be a CA that may still issue.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
def validate(
    paths: tuple[Path, ...],
    anchors: tuple[Path, ...],
    at: str | None,
    require_ca: bool,
    as_json: bool,
) -> None:
    """RFC 5280 validation of a partner hierarchy: certificates and CRLs in PATHS (files or
    folders, PEM or DER), revocation checked at every level from the CRLs given. Exit 1 unless
    every certificate is accepted."""
    from datetime import UTC, datetime

    from pkiadmin.core.exchange import package_inputs as partner_inputs
    from pkiadmin.core.exchange import partner_validation

    with user_errors():
        when = None
        if at:
            try:
                when = datetime.fromisoformat(at)
            except ValueError as exc:
                raise click.BadParameter(f"'{at}' is not an ISO 8601 time.") from exc
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
        report, problems = partner_inputs.validate_files(paths, anchors, when, require_ca)
    if as_json:
        echo_json(
            {
                "at": report.at.isoformat(),
                "accepted": report.accepted and not problems,
                "certificates": [
                    {
                        "file": v.label,
                        "subject": v.subject,
                        "sha256": v.sha256,
                        "anchor": v.anchor,
                        "accepted": v.accepted,
                        "findings": list(v.findings),
                    }
                    for v in report.verdicts
                ],
                "problems": problems,
            }
        )
    else:
        click.echo(partner_validation.describe(report, problems, require_ca))
    if not report.accepted or problems:
        raise SystemExit(1)


def _we_read(value: Value) -> Comparison:
    click.secho(f"Read aloud: {value.label}", bold=True)
    answers: list[bool] = []
    for i in range(value.groups):
        words = " ".join(value.group_words(i))
        click.secho(
            f"  group {i + 1}/{value.groups}:  {words:<28}  {value.group_hex(i)}", bold=True
        )
        answers.append(click.confirm("    did they confirm this group?", default=False))
        if not answers[-1]:
            break
    return confirmed(value, answers)


def _they_read(value: Value) -> Comparison:
    click.secho(
        f"They read: {value.label}. Type the words as you hear them (all of them, in order).",
        bold=True,
    )
    while True:
        heard = click.prompt("  words", default="", show_default=False)
        result = compare_words(value, heard)
        typos = [p for p in result.problems if "is not a PGP word" in p]
        if typos:  # a typo is pointed out at once, and the words typed again
            for problem in typos:
                click.secho(f"    {problem}", fg="yellow")
            continue
        return result


@click.command("verify")
@click.argument("name")
@click.option("--direction", type=click.Choice(list(calls.DIRECTIONS)), required=True,
              help="we-read: we read our values and they confirm; they-read: they read and we type.")  # fmt: skip
@click.option("--our-officer", required=True)
@click.option("--their-officer", required=True)
@click.option("--phone", required=True, help="The number called.")
@click.option(
    "--phone-source", required=True, help="Where the number came from (obtained independently)."
)
@click.option("--note", default="")
@click.option(
    "--passphrase-env",
    metavar="VAR",
    default=None,
    help="Our officer key's passphrase (to certify their key).",
)
@click.pass_context
def verify(
    ctx: click.Context,
    name: str,
    direction: str,
    our_officer: str,
    their_officer: str,
    phone: str,
    phone_source: str,
    note: str,
    passphrase_env: str | None,
) -> None:
    """The fingerprint verification call with partner NAME: every value compared group by group."""
    with opened_workspace(ctx) as ws, user_errors():
        partner = partners.get(ws.db, name)
        plan = calls.start(ws, name)  # the values are fixed now, for the whole call
        values = plan.values
        officer = partners.officer_fingerprint(ws.db)
        if officer and partner.pgp_fingerprint:
            click.echo(
                f"Pair code (both sides compute the same): {pair_code(officer, partner.pgp_fingerprint)}"
            )
        comparisons = []
        for value in values:
            result = _we_read(value) if direction == "we-read" else _they_read(value)
            comparisons.append(result)
            if not result.ok:
                for problem in result.problems:
                    click.secho(f"  MISMATCH: {problem}", fg="red", bold=True)
                break
            click.secho("  matches", fg="green")
        secret = None
        if all(c.ok for c in comparisons) and len(comparisons) == len(values):
            secret = read_passphrase(
                passphrase_env, None, new=False, prompt="Officer key passphrase"
            )
        record = calls.record(
            ws,
            plan,
            direction,
            our_officer,
            their_officer,
            phone,
            phone_source,
            comparisons,
            note,
            secret,
        )
    colour = {"verified": "green", "mismatch": "red", "aborted": "yellow"}[record.result]
    click.secho(f"Call {record.id} recorded: {record.result.upper()}", fg=colour, bold=True)
    if record.result != "verified":
        ctx.exit(1)
    click.echo(
        f"{name}'s key {pgp.grouped(partner.pgp_fingerprint or '')} is certified locally; their CA certificates are trusted."
    )


@click.command("sheet")
@click.argument("name")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The PDF to write (never overwritten).",
)
@click.pass_context
def sheet(ctx: click.Context, name: str, out: Path) -> None:
    """A printable verification sheet (PDF) for the call with NAME: every value in PGP words and
    hex, the pair code, tick boxes, and a QR code of the values."""
    from pkiadmin.core.exchange import call_sheet

    with opened_workspace(ctx) as ws, user_errors():
        call_sheet.write(ws, name, out)
    click.echo(f"Wrote {out}. Print it for the officer making the call.")


group.add_command(verify)
group.add_command(sheet)
