"""Cross-certifying a partner's root: only a partner CA confirmed on a verification call can be
certified, and only inside a namespace; `openssl verify -x509_strict`, trusting only our root,
accepts the partner's certificate inside the permitted names through the cross-certificate and
refuses one outside them or inside an excluded subtree."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.exchange import trust_store
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
from pkiadmin.core.lifecycle import cross
from pkiadmin.core.x509.names import SubjectSpec
from tests.conftest import PASSPHRASE
from tests.core.conftest import Exchange
from tests.core.exchange.test_trust import _call, _opened
from tests.package_helpers import PartnerCa

pytestmark = pytest.mark.interop


def _leaf(ca: PartnerCa, dns: str) -> x509.Certificate:
    now = datetime.now(UTC) - timedelta(hours=1)
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)]))
        .issuer_name(ca.issuing.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.issuing_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca.issuing_key, hashes.SHA256())
    )


def _pem(path: Path, *certs: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return path


def _verify(tmp: Path, root: Path, untrusted: Path, leaf: x509.Certificate) -> str:
    done = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", str(root),
         "-untrusted", str(untrusted), str(_pem(tmp / "leaf.pem", leaf))],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


def test_a_cross_certificate_trusts_exactly_the_partners_namespace(
    exchange: Exchange, tmp_path: Path
) -> None:
    ours = create_root_ca(
        exchange.ws,
        RootCaRequest(SubjectSpec("Our Root CA", "Example Ltd", country="SE")),
        PASSPHRASE,
    )
    ca = _opened(exchange)
    assert isinstance(ca, PartnerCa)
    (theirs,) = [c for c in trust_store.partner_certificates(exchange.ws.db) if "Root" in c.subject]
    request = cross.CrossRequest(
        theirs.cert_id, permitted=("dns:partner.example",), excluded=("dns:secret.partner.example",)
    )
    with pytest.raises(ValidationError, match="is not trusted now"):
        cross.plan(exchange.ws, ours.ca_id, request)
    _call(exchange, {})  # the verification call: every value confirmed
    with pytest.raises(ValidationError, match="without permitted names would trust everything"):
        cross.plan(exchange.ws, ours.ca_id, cross.CrossRequest(theirs.cert_id, permitted=()))

    found = cross.plan(exchange.ws, ours.ca_id, request)
    assert "nameConstraints: added (permitted dns:partner.example; excluded dns:secret" in (
        cross.describe(found)
    )
    done = cross.sign(exchange.ws, found, PASSPHRASE)
    constraints = done.certificate.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert done.certificate.subject == ca.root.subject
    assert audit_replay.differences(exchange.ws.db) == ()

    root_pem = _pem(
        tmp_path / "our-root.pem", inventory.load_certificate(exchange.ws.db, ours.record.id)
    )
    untrusted = _pem(tmp_path / "untrusted.pem", done.certificate, ca.issuing)
    inside = _verify(tmp_path, root_pem, untrusted, _leaf(ca, "svc.partner.example"))
    assert ": OK" in inside, inside
    outside = _verify(tmp_path, root_pem, untrusted, _leaf(ca, "svc.elsewhere.example"))
    assert "permitted subtree violation" in outside, outside
    excluded = _verify(tmp_path, root_pem, untrusted, _leaf(ca, "db.secret.partner.example"))
    assert "excluded subtree violation" in excluded, excluded


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("host:x", "is not a name constraint"),
        ("ip:10.0.0.1/8", "has host bits set"),
        ("dns:", "is not"),
    ],
)
def test_a_malformed_name_constraint_is_named(text: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        cross.subtree(text)


def test_cross_sign_from_the_command_line_by_the_fingerprint_read_on_the_call(
    exchange: Exchange, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from pkiadmin.cli.main import cli

    ours = create_root_ca(
        exchange.ws,
        RootCaRequest(SubjectSpec("Our Root CA", "Example Ltd", country="SE")),
        PASSPHRASE,
    )
    _opened(exchange)
    _call(exchange, {})
    (theirs,) = [c for c in trust_store.partner_certificates(exchange.ws.db) if "Root" in c.subject]
    runner = CliRunner()
    base = ["--workspace", str(exchange.ws.path)]
    shown = runner.invoke(cli, [*base, "partner", "show", "partner"])
    assert f"CA certificate {theirs.cert_id} (trusted): CN=Partner Root" in shown.output
    out = tmp_path / "cross.pem"
    result = runner.invoke(
        cli,
        [*base, "ca", "cross-sign", str(ours.ca_id), theirs.sha256[:24], "--permitted",
         "dns:partner.example", "--passphrase-env", "P", "--yes", "--out", str(out)],
        env={"P": PASSPHRASE},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Cross-certify CN=Partner Root,O=Partner SA,C=FR from partner" in result.output
    written = x509.load_pem_x509_certificate(out.read_bytes())
    assert written.issuer.rfc4514_string() == "CN=Our Root CA,O=Example Ltd,C=SE"
    refused = runner.invoke(
        cli, [*base, "ca", "cross-sign", str(ours.ca_id), str(theirs.cert_id), "--permitted", "x:y",
              "--passphrase-env", "P", "--yes"], env={"P": PASSPHRASE},
    )  # fmt: skip
    assert refused.exit_code == 1 and "is not a name constraint" in refused.output
