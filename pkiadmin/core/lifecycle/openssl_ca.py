"""What an `openssl ca` directory says about a CA: its `index.txt` (each certificate it issued,
valid, expired or revoked with date and reason), its `crlnumber` file, and its last CRL. Read
strictly: a line pkiadmin cannot interpret is refused with its number, never guessed at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from pkiadmin.core.base.display import plain_error, safe
from pkiadmin.core.base.errors import ValidationError

MAX_INDEX = 256 << 20
MAX_CRL = 256 << 20

# openssl ca's reason names (crypto/x509/v3_crld.c and apps/ca.c) -> pkiadmin's.
_REASONS = {
    "unspecified": "unspecified",
    "keycompromise": "keyCompromise",
    "cacompromise": "cACompromise",
    "affiliationchanged": "affiliationChanged",
    "superseded": "superseded",
    "cessationofoperation": "cessationOfOperation",
    "privilegewithdrawn": "privilegeWithdrawn",
    # -crl_compromise / -crl_CA_compromise record the time of compromise after the reason.
    "keytime": "keyCompromise",
    "cakeytime": "cACompromise",
}
_HOLDS = ("certificatehold", "removefromcrl")

_CRL_REASONS = {
    x509.ReasonFlags.unspecified: "unspecified",
    x509.ReasonFlags.key_compromise: "keyCompromise",
    x509.ReasonFlags.ca_compromise: "cACompromise",
    x509.ReasonFlags.affiliation_changed: "affiliationChanged",
    x509.ReasonFlags.superseded: "superseded",
    x509.ReasonFlags.cessation_of_operation: "cessationOfOperation",
    x509.ReasonFlags.privilege_withdrawn: "privilegeWithdrawn",
}


@dataclass(frozen=True)
class IndexEntry:
    line: int
    status: str  # 'V', 'R' or 'E'
    serial: str  # upper-case hex, even length (as pkiadmin stores serials)
    subject: str
    revoked_at: datetime | None
    reason: str | None
    invalidity_date: datetime | None


@dataclass(frozen=True)
class Revoked:
    serial: str
    revoked_at: datetime
    reason: str
    invalidity_date: datetime | None
    source: str  # 'index.txt line N' or 'CRL N'


def normal_serial(text: str) -> str:
    value = int(text, 16)
    hexed = f"{value:X}"
    return hexed if len(hexed) % 2 == 0 else "0" + hexed


def _time(text: str, where: str) -> datetime:
    for pattern in ("%y%m%d%H%M%SZ", "%Y%m%d%H%M%SZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValidationError(f"{where}: '{safe(text)}' is not a date as openssl ca writes them.")


def read_index(path: Path) -> list[IndexEntry]:
    """Every line of an openssl ca `index.txt`."""
    data = _read(path, MAX_INDEX, "an index.txt")
    entries: list[IndexEntry] = []
    seen: set[str] = set()
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path.name} line {number}"
        fields = raw.split("\t")
        if len(fields) != 6 or fields[0] not in ("V", "R", "E"):
            raise ValidationError(
                f"{where} is not an openssl ca index line (status, expiry, revocation, serial, "
                "file, subject, separated by tabs)."
            )
        status, _expiry, revocation, serial_text, _file, subject = fields
        try:
            serial = normal_serial(serial_text)
        except ValueError:
            raise ValidationError(
                f"{where}: '{safe(serial_text)}' is not a serial number."
            ) from None
        if serial in seen:
            raise ValidationError(f"{where}: serial {serial} is listed twice.")
        seen.add(serial)
        revoked_at = reason = invalidity = None
        if status == "R":
            when, _, rest = revocation.partition(",")
            revoked_at = _time(when, where)
            name, _, extra = rest.partition(",")
            key = name.strip().lower() or "unspecified"
            if key in _HOLDS:
                raise ValidationError(
                    f"{where}: serial {serial} is on hold ({name}). pkiadmin keeps no holds (the "
                    "Baseline Requirements forbid them): release it or revoke it for good with "
                    "openssl ca before adopting the CA."
                )
            if key not in _REASONS:
                raise ValidationError(f"{where}: '{safe(name)}' is not a revocation reason.")
            reason = _REASONS[key]
            if extra:
                invalidity = _time(extra, where)
        elif revocation:
            raise ValidationError(
                f"{where}: a certificate that is not revoked has a revocation date."
            )
        entries.append(IndexEntry(number, status, serial, subject, revoked_at, reason, invalidity))
    return entries


def read_crlnumber(path: Path) -> int:
    """The last CRL number used: openssl's `crlnumber` file holds the next one, in hex."""
    text = _read(path, 1024, "a crlnumber file").decode("ascii", errors="replace").strip()
    try:
        return max(int(text, 16) - 1, 0)
    except ValueError:
        raise ValidationError(
            f"{path.name} does not hold a CRL number in hex (it says '{safe(text[:40])}')."
        ) from None


def read_crl(path: Path) -> x509.CertificateRevocationList:
    data = _read(path, MAX_CRL, "a CRL")
    try:
        if b"-----BEGIN X509 CRL-----" in data:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise ValidationError(f"{path.name} is not a CRL: {plain_error(exc)}.") from exc


def crl_number(crl: x509.CertificateRevocationList) -> int | None:
    try:
        return int(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
    except x509.ExtensionNotFound:
        return None


def crl_revocations(crl: x509.CertificateRevocationList, label: str) -> list[Revoked]:
    found = []
    for entry in crl:
        reason = "unspecified"
        invalidity = None
        for ext in entry.extensions:
            if isinstance(ext.value, x509.CRLReason):
                if ext.value.reason in (
                    x509.ReasonFlags.certificate_hold,
                    x509.ReasonFlags.remove_from_crl,
                ):
                    raise ValidationError(
                        f"{label} puts serial {normal_serial(f'{entry.serial_number:x}')} on hold; "
                        "pkiadmin keeps no holds. Release or revoke it for good first."
                    )
                reason = _CRL_REASONS.get(ext.value.reason, "unspecified")
            elif isinstance(ext.value, x509.InvalidityDate):
                invalidity = ext.value.invalidity_date_utc
        found.append(
            Revoked(
                normal_serial(f"{entry.serial_number:x}"),
                entry.revocation_date_utc,
                reason,
                invalidity,
                label,
            )
        )
    return found


def _read(path: Path, limit: int, what: str) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise ValidationError(f"{path.name} is far larger than {what}.")
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{path} cannot be read ({exc.strerror}).") from exc
