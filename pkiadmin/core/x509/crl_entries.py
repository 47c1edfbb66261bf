"""Every entry of a CRL checked in one pass, at the speed of the data (pkilint builds a Python
object tree of the whole CRL: 1.3 GB and a minute for 100,000 entries). What pkilint's RFC 5280
entry lints check, and what the Baseline Requirements add:

- the serial is positive and at most 20 octets (RFC 5280 4.1.2.2), and listed once;
- the revocation date is not after the CRL's thisUpdate;
- only the entry extensions a direct CRL may carry (reasonCode, invalidityDate), each once and
  non-critical (RFC 5280 5.3); an unknown or critical one is a defect;
- reasonCode is not unspecified (RFC 5280 5.3.1: leave it out), not removeFromCRL (delta CRLs
  only) and not certificateHold (BR 7.2.2 forbids holds);
- the invalidity date is not after the revocation date.

The CRL's own structure and extensions, and one entry of every shape the CRL uses, are still
linted by pkilint (lint.lint_crl on a representative CRL)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import CRLEntryExtensionOID

from pkiadmin.core.x509 import lint

MAX_SERIAL_BITS = 159  # 20 octets, positive
_ALLOWED = {CRLEntryExtensionOID.CRL_REASON, CRLEntryExtensionOID.INVALIDITY_DATE}
_FORBIDDEN_REASONS = {
    x509.ReasonFlags.unspecified: "reasonCode unspecified (RFC 5280 5.3.1: leave the reasonCode out)",
    x509.ReasonFlags.remove_from_crl: "reasonCode removeFromCRL (for delta CRLs only)",
    x509.ReasonFlags.certificate_hold: "reasonCode certificateHold (BR 7.2.2 forbids holds)",
}
MAX_REPORTED = 20


@dataclass(frozen=True)
class EntryDefect:
    position: int  # 1-based, in the CRL's order
    serial: str  # hex
    problem: str

    def __str__(self) -> str:
        return f"entry {self.position} (serial {self.serial}): {self.problem}"


def _defects(
    entry: x509.RevokedCertificate, this_update: datetime, allow_unspecified: bool
) -> Iterator[str]:
    serial = entry.serial_number
    if serial <= 0 or serial.bit_length() > MAX_SERIAL_BITS:
        yield "the serial is not a positive number of at most 20 octets"
    revoked_at = entry.revocation_date_utc
    if revoked_at > this_update:
        yield f"revoked at {revoked_at:%Y-%m-%d %H:%M:%S}, after the CRL's thisUpdate"
    seen: set[x509.ObjectIdentifier] = set()
    invalidity: datetime | None = None
    try:
        extensions = list(entry.extensions)
    except ValueError as exc:
        yield f"its extensions cannot be read ({exc})"
        return
    for ext in extensions:
        if ext.oid in seen:
            yield f"the extension {ext.oid.dotted_string} appears twice"
        seen.add(ext.oid)
        if ext.oid not in _ALLOWED:
            yield f"the extension {ext.oid.dotted_string} does not belong in a direct CRL's entry"
            continue
        if ext.critical:
            yield f"the {ext.oid._name} extension is critical; RFC 5280 5.3 makes it non-critical"
        value = ext.value
        if isinstance(value, x509.CRLReason):
            problem = _FORBIDDEN_REASONS.get(value.reason)
            if problem and not (allow_unspecified and value.reason is x509.ReasonFlags.unspecified):
                yield problem
        elif isinstance(value, x509.InvalidityDate):
            invalidity = value.invalidity_date_utc
    if invalidity is not None and invalidity > revoked_at:
        yield "the invalidity date is after the revocation date"


def check(
    crl: x509.CertificateRevocationList, allow_unspecified: Iterable[int] = ()
) -> tuple[EntryDefect, ...]:
    """Every defect of every entry, in one pass (the first MAX_REPORTED are kept, and a count of
    the rest). `allow_unspecified`: serials whose reasonCode unspecified is known and said (CA
    entries an older pkiadmin recorded so; the CRL's draft names them)."""
    this_update = crl.last_update_utc
    allowed = set(allow_unspecified)
    seen: set[int] = set()
    found: list[EntryDefect] = []
    more = 0
    for position, entry in enumerate(crl, start=1):
        serial = entry.serial_number
        problems = list(_defects(entry, this_update, serial in allowed))
        if serial in seen:
            problems.append("the serial is listed twice")
        seen.add(serial)
        for problem in problems:
            if len(found) < MAX_REPORTED:
                found.append(EntryDefect(position, f"{serial:X}", problem))
            else:
                more += 1
    if more:
        found.append(EntryDefect(0, "-", f"and {more} more defect(s)"))
    return tuple(found)


def as_report(defects: tuple[EntryDefect, ...], entries: int, how: str = "") -> lint.LintReport:
    """The defects as a lint report (each one blocks), beside pkilint's."""
    return lint.LintReport(
        f"pkiadmin CRL entries ({entries:,} checked{'; ' + how if how else ''})",
        tuple(
            lint.Finding(
                "pkiadmin.crl_entry", lint.Severity.ERROR, str(d), "tbsCertList.revokedCertificates"
            )
            for d in defects
        ),
    )
