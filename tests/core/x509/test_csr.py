"""CSR intake and intermediate signing: every kind of bad input gets a clear message; nothing is stored."""

from __future__ import annotations

import contextlib
import datetime
from pathlib import Path

import cryptography_vectors
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from pkiadmin.core.base.errors import PkiError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import held_ca, intermediate, requests
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import csr
from tests.conftest import PASSPHRASE

VECTORS = Path(cryptography_vectors.__file__).parent / "x509"


def make_csr(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
    subject: str = "Online Issuing CA",
    org: str = "Example Ltd",
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    algorithm: hashes.SHA256 | hashes.SHA384 | None = None,
) -> x509.CertificateSigningRequest:
    key = key or ec.generate_private_key(ec.SECP384R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                x509.NameAttribute(NameOID.COMMON_NAME, subject),
            ]
        )
    )
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    return builder.sign(key, algorithm or hashes.SHA384())


def pem(request: x509.CertificateSigningRequest) -> bytes:
    return request.public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"garbage that is not a request at all", "neither a PEM nor a DER certificate request"),
        (
            b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
            "not a valid PEM certificate request",
        ),
        (
            b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "is a certificate, not a certificate request",
        ),
        (
            b"-----BEGIN CERTIFICATE REQUEST-----\n\x30\x82\x01\xff\x80\x81-----END CERTIFICATE REQUEST-----\n",
            "binary (DER) data inside a PEM header",
        ),
        (b"x" * (50 * 1024 * 1024), "52,428,800 bytes; a CSR is a few kilobytes"),
    ],
)
def test_unreadable_input(data: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        csr.load(data, "upload.csr")


def test_truncated_der() -> None:
    der = make_csr().public_bytes(serialization.Encoding.DER)
    with pytest.raises(ValidationError, match="neither a PEM nor a DER certificate request"):
        csr.load(der[: len(der) // 2])


def test_a_good_csr_is_described() -> None:
    info = csr.check(csr.load(pem(make_csr())))
    assert (
        info.acceptable
        and info.public_key == "EC P-384"
        and info.signature_algorithm == "ecdsa-with-SHA384"
    )
    assert info.subject == "CN=Online Issuing CA,O=Example Ltd,C=DE"
    assert len(info.spki_pgp_words) == 32


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            lambda: make_csr(rsa.generate_private_key(65537, 1024), algorithm=hashes.SHA256()),
            "1024 bits; at least 2048 are required",
        ),
        (
            lambda: make_csr(ec.generate_private_key(ec.SECP256K1())),
            "The curve secp256k1 is refused",
        ),
    ],
)
def test_weak_keys_are_refused(request_: object, message: str) -> None:
    info = csr.check(request_())  # type: ignore[operator]
    assert not info.acceptable
    assert any(message in f.message for f in info.findings if f.blocking)


def test_sha1_and_forged_signatures_are_named() -> None:
    sha1 = csr.check(csr.load((VECTORS / "requests" / "rsa_sha1.pem").read_bytes()))
    first = next(f.message for f in sha1.findings if f.blocking)
    assert first.startswith("The CSR is signed with SHA1, which is refused.")
    forged = csr.check(csr.load((VECTORS / "requests" / "invalid_signature.pem").read_bytes()))
    assert any("signature does not verify" in f.message for f in forged.findings)


def test_corpus_of_malformed_files_never_crashes() -> None:
    files = [
        p
        for folder in (VECTORS / "requests", VECTORS / "custom", VECTORS)
        for p in folder.glob("*")
        if p.is_file()
    ]
    assert len(files) > 50
    for path in files:
        with contextlib.suppress(PkiError):  # a clear refusal is the right outcome for most of them
            csr.check(csr.load(path.read_bytes(), path.name))


@pytest.fixture
def issuer(root_ws: Workspace) -> Workspace:
    return root_ws  # the template root: EC P-384, O=Example Ltd, C=DE, no path length limit


def test_import_refuses_bad_csrs_and_stores_nothing(issuer: Workspace) -> None:
    weak = pem(make_csr(rsa.generate_private_key(65537, 1024), algorithm=hashes.SHA256()))
    with pytest.raises(ValidationError, match="weak.csr was refused: The RSA key has 1024 bits"):
        requests.import_csr(issuer, weak, "weak.csr")
    assert requests.list_csrs(issuer.db) == ()
    record, _info = requests.import_csr(issuer, pem(make_csr()), "good.csr")
    with pytest.raises(ValidationError, match="was imported before"):
        requests.import_csr(issuer, pem(requests.load_request(issuer, record.id)), "again.csr")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            lambda: make_csr(org="Other Corp"),
            "The CSR's O is 'Other Corp', but the name policy requires the issuer's 'Example Ltd'",
        ),
        (
            lambda: make_csr(extensions=((x509.BasicConstraints(ca=True, path_length=3), True),)),
            "asks for path length 3; this profile allows at most 0",
        ),
        (
            lambda: make_csr(
                extensions=((x509.BasicConstraints(ca=False, path_length=None), True),)
            ),
            "asks for CA:FALSE",
        ),
        (
            lambda: make_csr(extensions=((x509.OCSPNoCheck(), True),)),
            "asks for the critical extension OCSPNoCheck",
        ),
    ],
)
def test_policy_violations_are_refused_before_signing(
    issuer: Workspace, request_: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        intermediate.prepare(issuer, 1, request_(), intermediate.IntermediateRequest())  # type: ignore[operator]


def test_requested_extensions_are_decided_not_copied_and_validity_is_clamped(
    issuer: Workspace,
) -> None:
    request = make_csr(
        extensions=((x509.SubjectAlternativeName([x509.DNSName("evil.example")]), False),)
    )
    plan = intermediate.prepare(
        issuer, 1, request, intermediate.IntermediateRequest(validity_days=30 * 365)
    )
    assert ("subjectAltName", "refused") in [(d.item, d.action) for d in plan.decisions]
    assert plan.notes and plan.notes[0].startswith("Validity clamped to the issuer's notAfter")
    issued = intermediate.sign(issuer, plan, PASSPHRASE)
    cert = issued.certificate
    assert x509.SubjectAlternativeName not in {type(e.value) for e in cert.extensions}
    root = inventory.chain(issuer.db, issued.cert_id)[-1]
    assert cert.not_valid_after_utc == root.not_valid_after_utc
    assert all(report.ok for report in issued.lint)


def test_path_lengths_are_enforced_down_the_tiers(issuer: Workspace) -> None:
    from pkiadmin.core.x509.names import SubjectSpec

    policy = held_ca.create_intermediate(
        issuer,
        1,
        SubjectSpec("Policy CA", "Example Ltd", country="DE"),
        intermediate.IntermediateRequest(profile=intermediate.CaProfile.POLICY),
        PASSPHRASE,
        issuer_passphrase=PASSPHRASE,
    )
    with pytest.raises(
        ValidationError,
        match="'Policy CA' has path length 1, so it can only sign CAs with a path length below it",
    ):
        intermediate.prepare(
            issuer,
            policy.ca_id,
            make_csr(),
            intermediate.IntermediateRequest(profile=intermediate.CaProfile.POLICY),
        )
    issuing = held_ca.create_intermediate(
        issuer,
        policy.ca_id,
        SubjectSpec("Issuing CA", "Example Ltd", country="DE"),
        intermediate.IntermediateRequest(),
        PASSPHRASE,
        issuer_passphrase=PASSPHRASE,
    )
    assert [
        c.subject.rfc4514_string() for c in inventory.chain(issuer.db, issuing.issued.cert_id)
    ] == [
        "CN=Issuing CA,O=Example Ltd,C=DE",
        "CN=Policy CA,O=Example Ltd,C=DE",
        "CN=Test Root CA,O=Example Ltd,C=DE",
    ]
    with pytest.raises(
        ValidationError, match=r"is an issuing CA \(path length 0\): it signs service"
    ):
        intermediate.prepare(issuer, issuing.ca_id, make_csr(), intermediate.IntermediateRequest())


def test_wrong_passphrase_signs_nothing(issuer: Workspace) -> None:
    from pkiadmin.core.base.errors import PassphraseError

    plan = intermediate.prepare(issuer, 1, make_csr(), intermediate.IntermediateRequest())
    before = issuer.db.execute("SELECT count(*) FROM certificates").fetchone()[0]
    with pytest.raises(PassphraseError, match="passphrase is wrong"):
        intermediate.sign(issuer, plan, "not the passphrase, certainly")
    assert issuer.db.execute("SELECT count(*) FROM certificates").fetchone()[0] == before
    _ = datetime  # keeps the import used where helpers grow


def test_constraints_policies_and_urls_are_written(issuer: Workspace) -> None:
    intermediate.set_ca_settings(
        issuer,
        1,
        {
            "crl_urls": ["http://pki.example/root.crl"],
            "ca_issuers_urls": ["http://pki.example/root.crt"],
        },
    )
    request = intermediate.IntermediateRequest(
        eku=("serverAuth", "clientAuth"),
        permitted_dns=("example.com",),
        policy_oids=("1.3.6.1.4.1.99999.1",),
        cps_uri="http://pki.example/cps",
    )
    plan = intermediate.prepare(issuer, 1, make_csr(), request)
    text = intermediate.preview(plan)
    assert (
        "Permitted: example.com" in text
        and "URI: http://pki.example/root.crl" in text
        and "caIssuers: http://pki.example/root.crt" in text
    )
    cert = intermediate.sign(issuer, plan, PASSPHRASE).certificate
    assert cert.extensions.get_extension_for_class(x509.NameConstraints).critical
    assert [
        e._name for e in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    ] == ["serverAuth", "clientAuth"]
    with pytest.raises(ValidationError, match="Unknown extended key usage anything"):
        intermediate.prepare(
            issuer, 1, make_csr(), intermediate.IntermediateRequest(eku=("anything",))
        )
