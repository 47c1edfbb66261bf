"""The partner hierarchy validator: NIST PKITS, and the holes found by testing it as a hostile
partner would (revoked CAs, path lengths, CRLs without cRLSign, unknown critical extensions,
self-issued rollover certificates, malformed certificates)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.core.exchange import partner_validation as pv
from tests import pkits

NOW = datetime.now(UTC)


def test_pkits_no_false_accept_and_at_least_openssls_verdicts() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcomes = [pkits.run_pkiadmin(c) for c in pkits.cases()]
    print("\n" + pkits.table({"pkiadmin": outcomes}))
    assert len(outcomes) == 203
    false_accepts = [o.case.name for o in outcomes if o.false_accept]
    assert false_accepts == []
    # openssl verify -crl_check_all -policy_check gets 193 (issue #16); 187 in benchmarks/pkits.py
    assert sum(o.correct for o in outcomes) >= 193
    by_name = {o.case.name: o for o in outcomes}
    assert not by_name["InvalidRevokedCATest2"].accepted
    assert "revoked" in by_name["InvalidRevokedCATest2"].finding
    for n in (5, 6, 9, 10, 11, 12):
        assert not by_name[f"InvalidpathLenConstraintTest{n}"].accepted


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    path_length: int | None = None,
    crl_sign: bool = True,
    extra: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    serial: int | None = None,
) -> x509.Certificate:
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, crl_sign, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    for ext, critical in extra:
        b = b.add_extension(ext, critical=critical)
    return b.sign(issuer_key, hashes.SHA256())


def _crl(
    issuer: str,
    key: ec.EllipticCurvePrivateKey,
    revoked: tuple[int, ...] = (),
    critical_ext: bool = False,
) -> bytes:
    b = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(_name(issuer))
        .last_update(NOW - timedelta(hours=1))
        .next_update(NOW + timedelta(days=7))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
    )
    if critical_ext:
        b = b.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"),
            critical=True,
        )
    for serial in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(NOW - timedelta(hours=2))
            .build()
        )
    return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def keys() -> dict[str, ec.EllipticCurvePrivateKey]:
    return {
        n: ec.generate_private_key(ec.SECP256R1()) for n in ("root", "policy", "issuing", "new")
    }


def _verdict(report: pv.Report, label: str) -> pv.Verdict:
    return next(v for v in report.verdicts if v.label == label)


def _three_tiers(keys: dict[str, ec.EllipticCurvePrivateKey], policy_path_length: int) -> pv.Report:
    """Root -> Policy CA (the path length given) -> Issuing CA (0), each CA's CRL current."""
    root = _cert("Root", keys["root"], "Root", keys["root"])
    policy = _cert(
        "Policy CA", keys["policy"], "Root", keys["root"], path_length=policy_path_length
    )
    issuing = _cert("Issuing CA", keys["issuing"], "Policy CA", keys["policy"], path_length=0)
    return pv.validate(
        [("root", _der(root))],
        [("policy", _der(policy)), ("issuing", _der(issuing))],
        [
            ("root.crl", _crl("Root", keys["root"])),
            ("policy.crl", _crl("Policy CA", keys["policy"])),
        ],
    )


def test_a_hierarchy_with_current_crls_is_accepted(
    keys: dict[str, ec.EllipticCurvePrivateKey],
) -> None:
    report = _three_tiers(keys, policy_path_length=1)
    assert report.accepted, report.findings()


def test_a_ca_revoked_by_its_own_root_is_refused(
    keys: dict[str, ec.EllipticCurvePrivateKey],
) -> None:
    root = _cert("Root", keys["root"], "Root", keys["root"])
    policy = _cert("Policy CA", keys["policy"], "Root", keys["root"], serial=4242)
    report = pv.validate(
        [("root", _der(root))],
        [("policy", _der(policy))],
        [("root.crl", _crl("Root", keys["root"], revoked=(4242,)))],
    )
    assert not report.accepted
    assert any("revoked" in f for f in _verdict(report, "policy").findings)


def test_a_ca_without_any_crl_has_no_known_status(
    keys: dict[str, ec.EllipticCurvePrivateKey],
) -> None:
    root = _cert("Root", keys["root"], "Root", keys["root"])
    policy = _cert("Policy CA", keys["policy"], "Root", keys["root"])
    report = pv.validate([("root", _der(root))], [("policy", _der(policy))], [])
    assert any(
        "revocation status cannot be determined" in f for f in _verdict(report, "policy").findings
    )


def test_a_ca_below_a_path_length_zero_ca_is_refused_as_a_ca(
    keys: dict[str, ec.EllipticCurvePrivateKey],
) -> None:
    report = _three_tiers(keys, policy_path_length=0)
    assert _verdict(report, "policy").accepted
    findings = _verdict(report, "issuing").findings
    assert any("pathLenConstraint 0" in f and "cannot act as a CA" in f for f in findings)


def test_a_crl_signed_by_a_key_without_crl_sign_is_no_status(
    keys: dict[str, ec.EllipticCurvePrivateKey],
) -> None:
    root = _cert("Root", keys["root"], "Root", keys["root"], crl_sign=False)
    policy = _cert("Policy CA", keys["policy"], "Root", keys["root"])
    report = pv.validate(
        [("root", _der(root))],
        [("policy", _der(policy))],
        [("root.crl", _crl("Root", keys["root"]))],
    )
    assert not _verdict(report, "policy").accepted


def test_a_crl_with_an_unknown_critical_extension_is_no_status(
    keys: dict[str, ec.EllipticCurvePrivateKey],
) -> None:
    root = _cert("Root", keys["root"], "Root", keys["root"])
    policy = _cert("Policy CA", keys["policy"], "Root", keys["root"])
    crl = _crl("Root", keys["root"], critical_ext=True)
    report = pv.validate([("root", _der(root))], [("policy", _der(policy))], [("root.crl", crl)])
    assert not _verdict(report, "policy").accepted


def test_a_root_with_an_unknown_critical_extension_is_refused(
    keys: dict[str, ec.EllipticCurvePrivateKey],
) -> None:
    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.2"), b"\x05\x00")
    root = _cert("Root", keys["root"], "Root", keys["root"], extra=((odd, True),))
    report = pv.validate([("root", _der(root))], [], [])
    assert not report.accepted
    assert "critical extensions that are not understood" in _verdict(report, "root").findings[0]


def test_a_rollover_certificate_is_an_intermediate_not_a_root(
    keys: dict[str, ec.EllipticCurvePrivateKey],
) -> None:
    """New-with-old: same name as the root, the new key, signed by the old key."""
    root = _cert("Root", keys["root"], "Root", keys["root"])
    new_with_old = _cert("Root", keys["new"], "Root", keys["root"])
    report = pv.validate(
        [("root", _der(root))],
        [("new-with-old", _der(new_with_old))],
        [("root.crl", _crl("Root", keys["root"]))],
    )
    assert report.accepted, report.findings()


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda d: d[:40], id="truncated"),
        pytest.param(lambda d: b"\x30\x82\xff\xff" + d[4:], id="bad-length"),
        pytest.param(
            lambda d: b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", id="bad-pem"
        ),
        pytest.param(lambda d: b"", id="empty"),
    ],
)
def test_malformed_certificates_are_findings_not_crashes(
    keys: dict[str, ec.EllipticCurvePrivateKey], mangle: object
) -> None:
    root = _cert("Root", keys["root"], "Root", keys["root"])
    bad = mangle(_der(root))  # type: ignore[operator]
    report = pv.validate([("root", _der(root))], [("bad.crt", bad)], [("x.crl", bad)])
    assert not report.accepted
    assert "bad.crt cannot be read as a certificate" in _verdict(report, "bad.crt").findings[0]
    assert any("x.crl cannot be read as a CRL" in f for f in report.crl_findings)


def test_duplicate_extensions_are_a_finding(keys: dict[str, ec.EllipticCurvePrivateKey]) -> None:
    root = _cert("Root", keys["root"], "Root", keys["root"])
    der = bytearray(_der(root))
    # Turn the SKI's OID into the AKI's (2.5.29.14 -> 2.5.29.35): two AKI extensions, same length.
    i = der.find(bytes.fromhex("0603551d0e"))
    assert i > 0
    der[i + 4] = 0x23
    report = pv.validate([("root", _der(root))], [("dup", bytes(der))], [])
    assert "cannot be read as a certificate" in _verdict(report, "dup").findings[0]


def test_subjects_are_escaped_in_findings(keys: dict[str, ec.EllipticCurvePrivateKey]) -> None:
    forged = "Partner CA\nSPKI SHA-256: 00 11\u202e"
    root = _cert(forged, keys["root"], forged, keys["root"], crl_sign=True)
    report = pv.validate([("root", _der(root))], [], [], at=NOW + timedelta(days=400))
    text = "\n".join(report.findings())
    assert "\nSPKI" not in text and "\u202e" not in text
    assert "\\nSPKI SHA-256" in text and "\\u202e" in text
