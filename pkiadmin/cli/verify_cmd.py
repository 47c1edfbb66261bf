"""`pkiadmin-cli partner verify` (the call, at the terminal) and `pkiadmin-cli trust export`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pkiadmin.cli.context import opened_workspace, read_passphrase, user_errors
from pkiadmin.core.exchange import call_records as calls
from pkiadmin.core.exchange import partners, pgp
from pkiadmin.core.exchange import trust_store as trust
from pkiadmin.core.exchange.call import Comparison, Value, compare_words, confirmed, pair_code


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


@click.group("trust")
def trust_group() -> None:
    """The partner trust store: CA certificates confirmed on a verified call."""


@trust_group.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pem", "openssl-dir", "p12"]),
    default="pem",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="File (pem, p12) or new folder (openssl-dir).",
)
@click.option(
    "--password-env",
    metavar="VAR",
    default=None,
    help="For p12: the truststore password from this variable.",
)
@click.pass_context
def export(ctx: click.Context, fmt: str, out: Path, password_env: str | None) -> None:
    """Write the trusted partner CA certificates for nginx, OpenSSL or Java; lists what it wrote."""
    password = os.environ.get(password_env) if password_env else None
    with opened_workspace(ctx) as ws, user_errors():
        result = trust.export(ws, fmt, out, password)
    click.echo(f"Wrote {result.path} with {len(result.certificates)} certificate(s):")
    for line in result.listing():
        click.echo(f"  {line}")


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
