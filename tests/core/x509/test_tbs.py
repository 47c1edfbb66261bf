"""The import splits PEM bundles itself (pembundle.py) and reads the serial, validity, issuer and
key from the DER (tbs.py): it must store exactly what cryptography's own loaders and accessors
give, and refuse exactly what cryptography refuses."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from pkiadmin.core.inventory import importer as bulk_import
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import dn, pembundle, tbs
from pkiadmin.core.x509 import fields as certfields
from tests.core.x509.test_csr import VECTORS

_ISSUER_KEY = ec.generate_private_key(ec.SECP256R1())


def _cert(
    public_key: object,
    serial: int = 0x1234,
    not_before: datetime = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    not_after: datetime = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC),
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tbs.example")])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TBS Test CA")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(_ISSUER_KEY, hashes.SHA256())
    )


def _through_cryptography(cert: x509.Certificate, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as m:
        m.setattr(tbs, "parts", lambda _der: None)
        m.setattr(dn, "printed", lambda _name: None)
        return certfields.read_fields(cert)


@functools.cache
def _keys() -> list[object]:
    return [
        rsa.generate_private_key(65537, 1024).public_key(),
        rsa.generate_private_key(65537, 2048).public_key(),
        rsa.generate_private_key(3, 1025).public_key(),  # an odd size, a small exponent
        ec.generate_private_key(ec.SECP256R1()).public_key(),
        ec.generate_private_key(ec.SECP384R1()).public_key(),
        ec.generate_private_key(ec.SECP521R1()).public_key(),
        ec.generate_private_key(ec.SECP256K1()).public_key(),  # read through cryptography
        ed25519.Ed25519PrivateKey.generate().public_key(),
    ]


def test_fields_read_from_the_der_equal_cryptographys(monkeypatch: pytest.MonkeyPatch) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    certs = [_cert(k) for k in _keys()]
    certs += [_cert(key, serial=s) for s in (1, 0x7F, 0x80, 0xFF00, 2**159 - 1)]
    certs += [
        _cert(
            key,
            not_before=datetime(1950, 1, 1, tzinfo=UTC),
            not_after=datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC),
        ),
        _cert(
            key,
            not_before=datetime(2049, 6, 1, tzinfo=UTC),
            not_after=datetime(2050, 1, 1, tzinfo=UTC),
        ),
        _cert(key, not_after=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ]
    for cert in certs:
        fast = certfields.read_fields(cert)
        assert tbs.parts(fast.der) is not None
        assert fast == _through_cryptography(cert, monkeypatch), cert


def test_the_fast_reader_names_the_usual_keys_itself() -> None:
    described = [
        tbs.describe_spki(
            k.public_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        for k in _keys()
    ]
    assert described == [
        ("RSA", 1024),
        ("RSA", 2048),
        ("RSA", 1025),
        ("EC P-256", 256),
        ("EC P-384", 384),
        ("EC P-521", 521),
        None,  # secp256k1 and Ed25519: cryptography describes them
        None,
    ]


def test_every_vector_certificate_reads_the_same_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over cryptography's own test certificates (well-formed and malformed): the same fields, and
    the same files refused."""
    corpus = sorted(
        p for p in VECTORS.rglob("*") if p.is_file() and p.suffix in {".pem", ".der", ".crt"}
    )
    compared = 0
    for path in corpus:
        data = path.read_bytes()
        outcomes: list[object] = []
        for fast in (True, False):
            with monkeypatch.context() as m:
                if not fast:
                    m.setattr(tbs, "parts", lambda _der: None)
                    m.setattr(pembundle, "certificate_ders", lambda _data: None)
                    m.setattr(dn, "printed", lambda _name: None)
                try:
                    outcomes.append(bulk_import.parse(data, path.name))
                except Exception as exc:  # noqa: BLE001 - compared, whatever it is
                    outcomes.append(type(exc))
        assert outcomes[0] == outcomes[1], path
        compared += isinstance(outcomes[0], list)
    assert compared > 300


def _off_curve(cert: x509.Certificate) -> bytes:
    """The certificate's DER with the last octet of its EC point changed (the signature no longer
    matches, which loading does not check): the point is no longer on the curve."""
    der = cert.public_bytes(serialization.Encoding.DER)
    point = cert.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    at = der.index(point) + len(point) - 1
    return der[:at] + bytes([der[at] ^ 0x01]) + der[at + 1 :]


def test_an_ec_point_off_its_curve_is_refused(ws: Workspace, tmp_path: Path) -> None:
    bad = _off_curve(_cert(ec.generate_private_key(ec.SECP384R1()).public_key()))
    spki = tbs.parts(bad)
    assert spki is not None and tbs.describe_spki(spki.spki) is None
    path = tmp_path / "off-curve.der"
    path.write_bytes(bad)
    summary = bulk_import.import_paths(ws, [path])
    assert summary.imported == 0
    assert summary.refused == [(str(path), summary.refused[0][1])]
    assert "not a certificate file pkiadmin can read" in summary.refused[0][1]
    assert inventory.list_certificates(ws.db) == ()


def test_unusual_encodings_are_left_to_cryptography() -> None:
    assert tbs.serial_hex(b"\x00\x7f") is None  # not minimal
    assert tbs.serial_hex(b"\x80") is None  # negative
    assert tbs.serial_hex(b"\x00\x80") == "80"
    assert tbs.iso_time(b"\x17\x0d" + b"2601020304Z00") is None  # seconds missing
    assert tbs.iso_time(b"\x18\x13" + b"20260102030405.5Z00") is None  # fractional seconds
    assert tbs.iso_time(b"\x17\x0d" + b"260102030405Z") == "2026-01-02T03:04:05+00:00"
    assert tbs.iso_time(b"\x17\x0d" + b"500102030405Z") == "1950-01-02T03:04:05+00:00"
    assert tbs.parts(b"\x30\x05\x00") is None
    assert tbs.describe_spki(b"\x30\x00") is None


def test_a_plain_pem_bundle_is_split_as_cryptography_splits_it() -> None:
    certs = [_cert(k) for k in _keys()[:3]]
    pems = [c.public_bytes(serialization.Encoding.PEM) for c in certs]
    plain = b"preamble text\n" + pems[0] + b"between\n" + pems[1].replace(b"\n", b"\r\n") + pems[2]
    assert pembundle.certificate_ders(plain) == [
        c.public_bytes(serialization.Encoding.DER) for c in x509.load_pem_x509_certificates(plain)
    ]


@pytest.mark.parametrize(
    "change",
    [
        lambda pem: pem.replace(b"-----\n", b"-----\nProc-Type: 4,ENCRYPTED\n\n", 1),  # a header
        lambda pem: pem + b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
        lambda pem: pem.replace(b"CERTIFICATE", b"X509 CERTIFICATE"),
        lambda pem: pem[:40] + b" " + pem[40:],  # a stray space in the base64
        lambda pem: pem.replace(b"-----END", b"-----BEGIN CERTIFICATE-----\n-----END", 1),
        lambda pem: pem[: pem.index(b"-----END")],  # no end line
    ],
)
def test_any_other_pem_is_left_to_cryptography(change: object) -> None:
    pem = _cert(_keys()[3]).public_bytes(serialization.Encoding.PEM)
    assert pembundle.certificate_ders(change(pem)) is None  # type: ignore[operator]


def test_base64_that_is_not_canonical_is_left_to_cryptography() -> None:
    pem = next(
        p
        for p in (_cert(k).public_bytes(serialization.Encoding.PEM) for k in _keys())
        if b"=\n-----END" in p  # padded: the DER's length is not a multiple of 3
    )
    lines = pem.split(b"\n")
    last = next(i for i in range(len(lines) - 1, 0, -1) if lines[i].endswith(b"="))
    body = lines[last]
    # The character before the padding carries unused low bits; setting one decodes to the same
    # DER but is not canonical base64, which cryptography's loader refuses.
    index = body.index(b"=") - 1
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    lines[last] = (
        body[:index] + bytes([alphabet[alphabet.index(body[index]) ^ 1]]) + body[index + 1 :]
    )
    changed = b"\n".join(lines)
    assert changed != pem
    assert pembundle.certificate_ders(changed) is None
    with pytest.raises(ValueError):
        x509.load_pem_x509_certificates(changed)


def _attr(oid: x509.ObjectIdentifier, value: str, kind: object = None) -> x509.NameAttribute[str]:
    from cryptography.x509.name import _ASN1Type

    return x509.NameAttribute(oid, value, _type=kind or _ASN1Type.UTF8String)  # type: ignore[arg-type]


def test_names_print_as_cryptography_prints_them() -> None:
    from cryptography.x509.name import _ASN1Type

    plain = [
        x509.Name(
            [
                _attr(NameOID.COUNTRY_NAME, "DE", _ASN1Type.PrintableString),
                _attr(NameOID.ORGANIZATION_NAME, "Example Ltd"),
                _attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "PKI"),
                _attr(NameOID.COMMON_NAME, "host.example.com"),
            ]
        ),
        x509.Name(
            [
                _attr(NameOID.DOMAIN_COMPONENT, "com", _ASN1Type.IA5String),
                _attr(NameOID.DOMAIN_COMPONENT, "example", _ASN1Type.IA5String),
                _attr(NameOID.USER_ID, "jdoe"),
                _attr(NameOID.EMAIL_ADDRESS, "jdoe@example.com", _ASN1Type.IA5String),
                _attr(NameOID.SERIAL_NUMBER, "42", _ASN1Type.PrintableString),
            ]
        ),
        x509.Name(
            [_attr(NameOID.ORGANIZATION_NAME, "Ünïcödé GmbH"), _attr(NameOID.LOCALITY_NAME, "Köln")]
        ),
        x509.Name([_attr(NameOID.COMMON_NAME, "first"), _attr(NameOID.COMMON_NAME, "second")]),
        x509.Name([_attr(NameOID.ORGANIZATION_NAME, "no common name")]),
    ]
    for name in plain:
        found = dn.printed(name.public_bytes())
        cn = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        assert found == (name.rfc4514_string(), str(cn[0].value) if cn else name.rfc4514_string())
    left = [
        x509.Name([_attr(NameOID.COMMON_NAME, "a, b + c")]),  # needs escaping
        x509.Name([_attr(NameOID.COMMON_NAME, "#hash")]),
        x509.Name([_attr(NameOID.COMMON_NAME, " leading")]),
        x509.Name([_attr(NameOID.ORGANIZATION_NAME, "x", _ASN1Type.BMPString)]),
        x509.Name(
            [
                x509.RelativeDistinguishedName(
                    [_attr(NameOID.COMMON_NAME, "a"), _attr(NameOID.ORGANIZATION_NAME, "b")]
                )
            ]
        ),
        x509.Name([_attr(x509.ObjectIdentifier("1.2.3.4"), "unknown type")]),
        x509.Name([]),
    ]
    for name in left:
        assert dn.printed(name.public_bytes()) is None, name


def test_names_cryptography_warns_about_are_left_to_it() -> None:
    from pkiadmin.core.keys import der

    # A 65-octet common name and a three-letter country, encoded by hand (cryptography's own
    # builder refuses them; read from a certificate, they draw a warning, and the file is refused).
    def name(oid: str, value: bytes, tag: int = 0x0C) -> bytes:
        return der.sequence(der.tlv(0x31, der.sequence(der.oid(oid), der.tlv(tag, value))))

    assert dn.printed(name("2.5.4.3", b"x" * 64)) == ("CN=" + "x" * 64, "x" * 64)
    assert dn.printed(name("2.5.4.3", b"x" * 65)) is None
    assert dn.printed(name("2.5.4.6", b"DEU", 0x13)) is None
    assert dn.printed(name("2.5.4.3", b"\xff\xfe")) is None  # not UTF-8
