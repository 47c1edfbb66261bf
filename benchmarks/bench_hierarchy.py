"""The hierarchy the signing benchmarks run on: a root and an issuing CA held here, made the way
`ca create-root` and `ca create-intermediate` make them (EC P-384 keys, real extensions)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from pkiadmin.core.issuance.held_ca import HeldIntermediate, create_intermediate
from pkiadmin.core.issuance.intermediate import CaProfile, IntermediateRequest
from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
from pkiadmin.core.keys import files as keys
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.x509.names import SubjectSpec

PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throw-away workspace


def issuing_ca(folder: Path) -> tuple[workspace.Workspace, HeldIntermediate]:
    """A new workspace in `folder` with "Bench Root" and "Bench Issuing CA" (path length 0)."""
    ws = workspace.create(folder)
    create_root_ca(ws, RootCaRequest(SubjectSpec("Bench Root", "Bench", country="GB")), PASSPHRASE)
    held = create_intermediate(
        ws,
        1,
        SubjectSpec("Bench Issuing CA", "Bench", country="GB"),
        IntermediateRequest(profile=CaProfile.ISSUING),
        PASSPHRASE,
        issuer_passphrase=PASSPHRASE,
    )
    return ws, held


def service_certificate(
    ca: x509.Certificate,
    key: keys.PrivateKey,
    subject_key: keys.PublicKey,
    cn: str,
    not_before: datetime,
    days: int = 90,
) -> x509.Certificate:
    """A TLS server certificate as the issuing CA signs one: SAN, key usage, EKU, policy, key
    identifiers, CRL distribution point and AIA (what the inventory reads and stores)."""
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    crl = x509.DistributionPoint(
        [x509.UniformResourceIdentifier("http://pki.bench.example/issuing.crl")], None, None, None
    )
    aia = x509.AccessDescription(
        AuthorityInformationAccessOID.CA_ISSUERS,
        x509.UniformResourceIdentifier("http://pki.bench.example/issuing.crt"),
    )
    policy = x509.PolicyInformation(x509.ObjectIdentifier("2.23.140.1.2.1"), None)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca.subject)
        .public_key(subject_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key), False)
        .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), False)
        .add_extension(x509.CertificatePolicies([policy]), False)
        .add_extension(x509.CRLDistributionPoints([crl]), False)
        .add_extension(x509.AuthorityInformationAccess([aia]), False)
        .sign(key, hashes.SHA384())
    )
