"""The --search/--filter options shared by `cert list` and `cert export-list`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from pkiadmin.core.inventory import compliance, query
from pkiadmin.core.inventory.certrecord import Source

if TYPE_CHECKING:
    from pkiadmin.core.workspace.rows import Rows

F = TypeVar("F", bound=Callable[..., object])
_YES_NO = {"yes": True, "no": False}
HELP = (
    "expires-within=DAYS, expired=yes|no, not-yet-valid=yes|no, revoked=yes|no, ca=yes|no, "
    "issuer=WORDS, issuer-id=ID, partner=NAME, environment=NAME, algorithm=TEXT (e.g. 'EC P-256', "
    "'RSA 2048'), source=issued|imported, finding="
    + "|".join(compliance.CODES)
    + "; repeatable, combined."
)


def filter_options(func: F) -> F:
    func = click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE", help=HELP)(func)
    return click.option(
        "--search", default=None, help="Free text over names, SANs, serial and fingerprint."
    )(func)


def parse_filter(db: Rows, search: str | None, filters: tuple[str, ...]) -> query.Filter:
    values: dict[str, object] = {"text": search}
    for item in filters:
        key, _, value = item.partition("=")
        key = key.strip().replace("-", "_")
        value = value.strip()
        if key == "expires_within":
            if not value.isdigit():
                raise click.UsageError("expires-within takes a number of days.")
            values["expires_within_days"] = int(value)
        elif key in {"expired", "not_yet_valid", "revoked", "ca"}:
            if value not in _YES_NO:
                raise click.UsageError(f"{key.replace('_', '-')} takes yes or no.")
            values[key] = _YES_NO[value]
        elif key in {"issuer", "algorithm", "environment"}:
            values[key] = value
        elif key == "issuer_id":
            if not value.isdigit():
                raise click.UsageError("issuer-id takes a certificate id.")
            values[key] = int(value)
        elif key == "partner":
            from pkiadmin.core.exchange import partners

            values["partner_id"] = partners.get(db, value).id
        elif key == "finding":
            values[key] = compliance.rule(value).code
        elif key == "source":
            if value not in {"issued", "imported"}:
                raise click.UsageError("source takes issued or imported.")
            values[key] = Source(value)
        else:
            raise click.UsageError(f"Unknown filter '{item}'; use {HELP}")
    return query.Filter(**values)  # type: ignore[arg-type]
