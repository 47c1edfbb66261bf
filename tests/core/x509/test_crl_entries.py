"""pkiadmin's own check of every CRL entry finds a defect in any single entry of a 100,000-entry
CRL (what pkilint, reading only a representative CRL for large ones, no longer sees), and a clean
CRL has none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.core.x509 import crl_entries

ENTRIES = 100_000
NOW = datetime.now(UTC).replace(microsecond=0)
KEY = ec.generate_private_key(ec.SECP256R1())


def _entry(serial: int, reason: x509.ReasonFlags | None = x509.ReasonFlags.key_compromise,
           critical: bool = False, when: datetime | None = None,
           invalidity: datetime | None = None) -> x509.RevokedCertificate:  # fmt: skip
    item = (
        x509.RevokedCertificateBuilder()
        .serial_number(serial)
        .revocation_date(when or NOW - timedelta(days=1))
    )
    if reason is not None:
        item = item.add_extension(x509.CRLReason(reason), critical=critical)
    if invalidity is not None:
        item = item.add_extension(x509.InvalidityDate(invalidity.replace(tzinfo=None)), False)
    return item.build()


@pytest.fixture(scope="module")
def clean() -> list[x509.RevokedCertificate]:
    return [_entry(0x1000000000000000 + i) for i in range(ENTRIES)]


def _crl(entries: list[x509.RevokedCertificate]) -> x509.CertificateRevocationList:
    return (
        x509.CertificateRevocationListBuilder(revoked_certificates=entries)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")]))
        .last_update(NOW)
        .next_update(NOW + timedelta(days=7))
        .sign(KEY, hashes.SHA256())
    )


def test_a_clean_crl_of_100000_entries_has_no_defect(clean: list[x509.RevokedCertificate]) -> None:
    assert crl_entries.check(_crl(clean)) == ()


@pytest.mark.parametrize(
    ("position", "defect", "said"),
    [
        (73_457, {"critical": True}, "is critical"),
        (99_999, {"reason": x509.ReasonFlags.unspecified}, "reasonCode unspecified"),
        (1, {"reason": x509.ReasonFlags.certificate_hold}, "certificateHold"),
        (12_345, {"when": NOW + timedelta(hours=2)}, "after the CRL's thisUpdate"),
        (54_321, {"invalidity": NOW}, "invalidity date is after the revocation date"),
    ],
)
def test_one_defective_entry_anywhere_is_found_and_named(
    clean: list[x509.RevokedCertificate], position: int, defect: dict[str, object], said: str
) -> None:
    entries = list(clean)
    serial = entries[position - 1].serial_number
    entries[position - 1] = _entry(serial, **defect)  # type: ignore[arg-type]
    (found,) = crl_entries.check(_crl(entries))
    assert (found.position, found.serial) == (position, f"{serial:X}")
    assert said in found.problem


def test_a_serial_listed_twice_is_found(clean: list[x509.RevokedCertificate]) -> None:
    entries = list(clean)
    entries[88_888] = _entry(entries[100].serial_number)
    (found,) = crl_entries.check(_crl(entries))
    assert found.position == 88_889 and "listed twice" in found.problem
