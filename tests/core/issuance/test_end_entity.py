"""End-entity certificates under the built-in profiles: what is signed is what the profile says,
openssl accepts it for its purpose, pkilint finds nothing; requests that break the profile are
refused with the reason and store nothing."""

from __future__ import annotations

import ipaddress
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import end_entity, held_ca, profiles, requests
from pkiadmin.core.issuance.intermediate import CaProfile, IntermediateRequest
from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import cert_profiles, lint
from pkiadmin.core.x509.names import SubjectSpec
from tests.conftest import PASSPHRASE, counts

ISSUING = "issuing CA passphrase for the tests"


@dataclass
class Hierarchy:
    ws: Workspace
    root: x509.Certificate
    policy_ca: int
    issuing_ca: int
    chain: Path  # issuing CA + policy CA + root, PEM


def three_tiers(path: Path, org: str = "Example Ltd") -> Hierarchy:
    ws = workspace.create(path)
    root = create_root_ca(
        ws, RootCaRequest(SubjectSpec(f"{org} Root CA", org, country="SE")), PASSPHRASE
    )
    policy = held_ca.create_intermediate(
        ws,
        root.ca_id,
        SubjectSpec(f"{org} Policy CA", org, country="SE"),
        IntermediateRequest(CaProfile.POLICY),
        ISSUING,
        issuer_passphrase=PASSPHRASE,
    )
    issuing = held_ca.create_intermediate(
        ws,
        policy.ca_id,
        SubjectSpec(f"{org} Issuing CA", org, country="SE"),
        IntermediateRequest(CaProfile.ISSUING),
        ISSUING,
        issuer_passphrase=ISSUING,
    )
    chain = path / "chain.pem"
    chain.write_bytes(
        b"".join(
            inventory.load_certificate(ws.db, cert_id).public_bytes(serialization.Encoding.PEM)
            for cert_id in (issuing.issued.cert_id, policy.issued.cert_id, root.record.id)
        )
    )
    root_cert = inventory.load_certificate(ws.db, root.record.id)
    return Hierarchy(ws, root_cert, policy.ca_id, issuing.ca_id, chain)


@pytest.fixture
def tiers(tmp_path: Path) -> Iterator[Hierarchy]:
    made = three_tiers(tmp_path / "ws")
    yield made
    made.ws.close()


def csr_for(
    cn: str | None,
    sans: list[x509.GeneralName],
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
    ca: bool = False,
) -> tuple[x509.CertificateSigningRequest, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    names = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else []
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    return builder.sign(key, hashes.SHA256()), key


def issue(
    tiers: Hierarchy, profile_name: str, cn: str | None, sans: list[x509.GeneralName]
) -> end_entity.IssuedCertificate:
    request, _key = csr_for(cn, sans)
    record, _ = requests.import_csr(
        tiers.ws, request.public_bytes(serialization.Encoding.PEM), "service.csr"
    )
    plan = end_entity.prepare(
        tiers.ws,
        tiers.issuing_ca,
        requests.load_request(tiers.ws, record.id),
        profiles.get(tiers.ws.db, profile_name),
    )
    return end_entity.sign(tiers.ws, plan, ISSUING, csr_id=record.id)


def openssl_verify(tiers: Hierarchy, cert: x509.Certificate, purpose: str) -> str:
    leaf = tiers.ws.path / "leaf.pem"
    leaf.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    root = tiers.ws.path / "root.pem"
    root.write_bytes(tiers.root.public_bytes(serialization.Encoding.PEM))
    done = subprocess.run(
        [
            "openssl",
            "verify",
            "-x509_strict",
            "-purpose",
            purpose,
            "-CAfile",
            str(root),
            "-untrusted",
            str(tiers.chain),
            str(leaf),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def test_a_tls_server_certificate_is_what_the_profile_says(tiers: Hierarchy) -> None:
    issued = issue(tiers, "tls-server", "api.example.com", [x509.DNSName("www.example.com")])
    cert = issued.certificate
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    # The CN is a SAN too (added), the requested SAN kept.
    assert sans.get_values_for_type(x509.DNSName) == ["www.example.com", "api.example.com"]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH
    ]
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and not ku.key_encipherment  # an EC key
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    assert days == 90
    assert "OK" in openssl_verify(tiers, cert, "sslserver")
    row = tiers.ws.db.execute(
        "SELECT profile, source FROM certificates WHERE id = ?", (issued.cert_id,)
    ).fetchone()
    assert tuple(row) == ("tls-server", "issued")
    entry = audit.entries(tiers.ws.db)[-1]
    assert entry.operation == "ca.sign-end-entity"
    assert entry.objects["profile"] == "tls-server"


@pytest.mark.parametrize(
    ("profile_name", "cn", "sans", "purpose"),
    [
        ("tls-server", "api.example.com", [], "sslserver"),
        ("tls-client", "Service_B", [], "sslclient"),
        (
            "tls-client",
            None,
            [x509.UniformResourceIdentifier("spiffe://example.com/svc/b")],
            "sslclient",
        ),
        ("mtls", "gw.example.com", [x509.IPAddress(ipaddress.ip_address("10.0.0.7"))], "sslserver"),
        ("mtls", "gw.example.com", [], "sslclient"),
        ("ocsp-responder", "Example OCSP Responder", [], "ocsphelper"),
        ("code-signing", "Build Tools", [], "any"),
    ],
)
def test_every_built_in_profile_signs_what_openssl_and_pkilint_accept(
    tiers: Hierarchy,
    profile_name: str,
    cn: str | None,
    sans: list[x509.GeneralName],
    purpose: str,
) -> None:
    issued = issue(tiers, profile_name, cn, sans)
    # Lint ran before and after signing and on the chain; nothing at WARNING or above.
    assert all(report.ok for report in issued.lint)
    blocking = [f.code for f in lint.lint_certificate(issued.certificate).blocking]
    if any(isinstance(s, x509.UniformResourceIdentifier) for s in sans):
        # pkilint checks URIs as web URLs and calls spiffe:// invalid; pkiadmin checks RFC 3986
        # syntax itself and waives only that finding (recorded with the signing).
        assert blocking == ["pkix.invalid_uri_syntax"]
        assert any(f.waived_because for r in issued.lint for f in r.findings)
    else:
        assert blocking == []
    out = openssl_verify(tiers, issued.certificate, purpose)
    assert ": OK" in out, out


def test_the_ocsp_responder_carries_ocsp_signing_and_nocheck(tiers: Hierarchy) -> None:
    cert = issue(tiers, "ocsp-responder", "Example OCSP Responder", []).certificate
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.OCSP_SIGNING
    ]
    assert cert.extensions.get_extension_for_oid(ExtensionOID.OCSP_NO_CHECK)
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 30


SUFFIX_PROFILE = """
[profile]
name = "partner-gateway"
description = "Partner gateways of example.com only"
ekus = ["serverAuth", "clientAuth"]
validity_days = 90
max_validity_days = 180

[keys]
algorithms = ["ec-p256", "rsa"]
min_rsa_bits = 3072

[names]
san_types = ["dns"]
dns_suffixes = ["partners.example.com"]
"""


@pytest.fixture
def gateway(tiers: Hierarchy, tmp_path: Path) -> cert_profiles.CertProfile:
    path = tmp_path / "gateway.toml"
    path.write_text(SUFFIX_PROFILE)
    return profiles.import_profile(tiers.ws, path)


def _refused(
    tiers: Hierarchy,
    request: x509.CertificateSigningRequest,
    name: str,
    message: str,
    validity: int | None = None,
) -> None:
    before = counts(tiers.ws)
    with pytest.raises(ValidationError, match=message):
        end_entity.prepare(
            tiers.ws, tiers.issuing_ca, request, profiles.get(tiers.ws.db, name), validity
        )
    assert counts(tiers.ws) == before


def test_a_san_outside_the_allowed_suffixes_is_refused(
    tiers: Hierarchy, gateway: cert_profiles.CertProfile
) -> None:
    request, _ = csr_for("a.partners.example.com", [x509.DNSName("evil.example.net")])
    _refused(tiers, request, gateway.name, "DNS:evil.example.net is outside what the profile")
    ok, _ = csr_for("a.partners.example.com", [])
    assert end_entity.prepare(tiers.ws, tiers.issuing_ca, ok, gateway).sans


def test_an_ip_where_none_is_allowed_is_refused(
    tiers: Hierarchy, gateway: cert_profiles.CertProfile
) -> None:
    request, _ = csr_for(None, [x509.IPAddress(ipaddress.ip_address("192.0.2.1"))])
    _refused(tiers, request, gateway.name, "IP:192.0.2.1 is a name type the profile")


def test_a_weak_rsa_key_is_refused(tiers: Hierarchy, gateway: cert_profiles.CertProfile) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    request, _ = csr_for("a.partners.example.com", [], weak)
    _refused(
        tiers, request, "tls-server", "has 1024 bits; the profile 'tls-server' needs at least 2048"
    )
    middling = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    request, _ = csr_for("a.partners.example.com", [], middling)
    _refused(tiers, request, gateway.name, "needs at least 3072")


def test_validity_above_the_cap_is_refused(tiers: Hierarchy) -> None:
    request, _ = csr_for("api.example.com", [])
    _refused(
        tiers, request, "tls-server", "398 days is more than the profile 'tls-server' allows", 398
    )
    plan = end_entity.prepare(
        tiers.ws, tiers.issuing_ca, request, profiles.get(tiers.ws.db, "tls-server"), 300
    )
    assert any("above 200" in note for note in plan.notes)  # a compliance note, not a refusal


def test_a_ca_request_under_an_end_entity_profile_is_refused(tiers: Hierarchy) -> None:
    request, _ = csr_for("api.example.com", [], ca=True)
    _refused(tiers, request, "tls-server", "asks for CA:TRUE; the end-entity profile 'tls-server'")


def test_only_an_issuing_ca_signs_end_entities(tiers: Hierarchy) -> None:
    request, _ = csr_for("api.example.com", [])
    profile = profiles.get(tiers.ws.db, "tls-server")
    with pytest.raises(
        ValidationError, match="is a policy CA \\(path length 1\\): it signs issuing CAs"
    ):
        end_entity.prepare(tiers.ws, tiers.policy_ca, request, profile)
    with pytest.raises(ValidationError, match="is a root CA: a root signs CAs only"):
        end_entity.prepare(tiers.ws, 1, request, profile)


def test_profiles_are_checked_strictly_and_audited(tiers: Hierarchy, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        SUFFIX_PROFILE.replace("max_validity_days = 180", "max_validity_days = 180\ncolour = 1")
    )
    before = counts(tiers.ws)
    with pytest.raises(
        cert_profiles.ProfileError,
        match=r"bad.toml: line \d+, \[profile\] colour is not a known key",
    ):
        profiles.import_profile(tiers.ws, bad)
    assert counts(tiers.ws) == before
    builtin = tmp_path / "mine.toml"
    builtin.write_text(SUFFIX_PROFILE.replace('"partner-gateway"', '"tls-server"'))
    with pytest.raises(ValidationError, match="'tls-server' is a built-in profile"):
        profiles.import_profile(tiers.ws, builtin)
    good = tmp_path / "gateway.toml"
    good.write_text(SUFFIX_PROFILE)
    profiles.import_profile(tiers.ws, good)
    assert audit.entries(tiers.ws.db)[-1].operation == "profile.import"
    out = profiles.export(tiers.ws, "partner-gateway", tmp_path / "out.toml")
    assert out.read_text() == SUFFIX_PROFILE
    profiles.remove(tiers.ws, "partner-gateway")
    assert "partner-gateway" not in profiles.all_profiles(tiers.ws.db)


def test_every_built_in_profile_parses_and_names_itself_after_its_file() -> None:
    found = cert_profiles.builtin_profiles()
    assert set(found) == {"tls-server", "tls-client", "mtls", "ocsp-responder", "code-signing"}
    assert all(p.builtin for p in found.values())


def test_the_ca_b_forum_lints_are_reported_for_servers_and_pass_for_the_responder(
    tiers: Hierarchy,
) -> None:
    server = issue(tiers, "tls-server", "api.example.com", [])
    assert server.cabf_lint is not None
    codes = {f.code for f in server.cabf_lint.blocking}
    # A private hierarchy without CA settings misses public-trust rules: reported, not blocking.
    assert "cabf.serverauth.subscriber.certificate_policies_extension_absent" in codes
    entry = audit.entries(tiers.ws.db)[-1]
    assert any("certificate_policies_extension_absent" in f for f in entry.details["cabf_lint"])
    responder = issue(tiers, "ocsp-responder", "Example OCSP Responder", [])
    assert responder.cabf_lint is not None and responder.cabf_lint.ok  # and they block if not


def test_a_profile_may_make_the_ca_b_forum_lints_block(tiers: Hierarchy, tmp_path: Path) -> None:
    strict = tmp_path / "public.toml"
    strict.write_text(
        SUFFIX_PROFILE.replace('"partner-gateway"', '"public-web"').replace(
            "max_validity_days = 180", 'max_validity_days = 180\ncabf_lints = "block"'
        )
    )
    profile = profiles.import_profile(tiers.ws, strict)
    request, _ = csr_for("www.partners.example.com", [])
    record, _ = requests.import_csr(
        tiers.ws, request.public_bytes(serialization.Encoding.PEM), "www.csr"
    )
    plan = end_entity.prepare(
        tiers.ws, tiers.issuing_ca, requests.load_request(tiers.ws, record.id), profile
    )
    before = counts(tiers.ws)[:2]
    with pytest.raises(CheckFailedError, match="requires the CA/B Forum lints to pass"):
        end_entity.sign(tiers.ws, plan, ISSUING, csr_id=record.id)
    assert counts(tiers.ws)[:2] == before
