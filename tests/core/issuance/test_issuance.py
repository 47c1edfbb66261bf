"""Lint-then-sign: nothing is signed that failed lint; waivers from the plan are honoured."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.base.errors import CheckFailedError
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.x509 import keyid, lint, profile


class SpySigner(FileSigner):
    def __init__(self) -> None:
        super().__init__(ec.generate_private_key(ec.SECP384R1()), "spy")
        self.signed = 0

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        self.signed += 1
        return super().sign_certificate(builder)


def builder(signer: FileSigner, critical_basic_constraints: bool) -> x509.CertificateBuilder:
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Lint Root")])
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    ski = keyid.subject_key_identifier(signer.public_key(), keyid.SkiMethod.RFC7093)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.public_key())
        .serial_number(profile.new_serial())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=critical_basic_constraints
        )
        .add_extension(profile.CA_KEY_USAGE, critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
    )


def test_a_lint_error_blocks_signing() -> None:
    signer = SpySigner()
    with pytest.raises(
        CheckFailedError,
        match="nothing was signed: .*pkix.basic_constraints_extension_not_critical",
    ):
        issuance.sign_linted(builder(signer, critical_basic_constraints=False), signer)
    assert signer.signed == 0


def test_a_waiver_in_the_plan_lets_a_finding_pass_and_is_reported() -> None:
    signer = SpySigner()
    waivers = {
        "pkix.basic_constraints_extension_not_critical": "legacy relying party needs it (test)"
    }
    signed = issuance.sign_linted(
        builder(signer, critical_basic_constraints=False), signer, waivers=waivers
    )
    assert signer.signed == 1
    waived = [f for f in signed.lint_after.findings if f.waived_because]
    assert waived and not waived[0].blocking
    assert "(waived: legacy relying party needs it (test))" in str(waived[0])


def test_signed_tbs_is_the_linted_tbs() -> None:
    signer = SpySigner()
    signed = issuance.sign_linted(builder(signer, critical_basic_constraints=True), signer)
    assert signed.lint_before.ok and signed.lint_after.ok
    signed.certificate.verify_directly_issued_by(signed.certificate)


def test_blocking_rule() -> None:
    def finding(severity: lint.Severity, waived: str | None = None) -> lint.Finding:
        return lint.Finding("x", severity, "", "p", waived)

    assert finding(lint.Severity.WARNING).blocking
    assert finding(lint.Severity.ERROR).blocking
    assert not finding(lint.Severity.NOTICE).blocking
    assert not finding(lint.Severity.ERROR, "reason").blocking
