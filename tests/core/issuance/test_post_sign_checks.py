"""The checks after signing refuse what the signer returned when it is not what was linted: a
signer that changes the TBS, one that signs with another key, a certificate that fails lint once
signed. Each time the message says so and nothing is stored: no certificate, no CA, no audit entry
of a signing, and the CSR can be signed properly afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from pkiadmin.core.base.errors import CheckFailedError
from pkiadmin.core.issuance import intermediate, requests
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import lint
from tests.conftest import PASSPHRASE, counts
from tests.core.x509.test_csr import make_csr, pem


class ChangesTheTbs(FileSigner):
    """Signs something other than what it was given: one more extension."""

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        changed = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("smuggled.example")]), critical=False
        )
        return super().sign_certificate(changed)


class SignsWithAnotherKey(FileSigner):
    """Signs exactly the TBS, but with a key that is not the issuer's."""

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        other = keys.generate(keys.KeyAlgorithm.parse("ec-p384"))
        return FileSigner(other, "another key").sign_certificate(builder)


def _prepare(ws: Workspace) -> tuple[int, intermediate.SigningPlan]:
    record, _ = requests.import_csr(ws, pem(make_csr(subject="Issuing CA")), "issuing.csr")
    plan = intermediate.prepare(
        ws, 1, requests.load_request(ws, record.id), intermediate.IntermediateRequest()
    )
    return record.id, plan


def _signings(ws: Workspace) -> list[str]:
    return [e.operation for e in audit.entries(ws.db) if e.operation == "ca.sign-intermediate"]


def _refused(
    root_ws: Workspace, monkeypatch: pytest.MonkeyPatch, patch: Callable[[], None], message: str
) -> None:
    csr_id, plan = _prepare(root_ws)
    certificates, authorities, _entries, key_files = counts(root_ws)
    patch()
    with pytest.raises(CheckFailedError, match=message):
        intermediate.sign(root_ws, plan, PASSPHRASE, csr_id=csr_id)
    assert counts(root_ws)[:2] == (certificates, authorities)
    assert counts(root_ws)[3] == key_files
    assert _signings(root_ws) == []
    monkeypatch.undo()
    # The refusal released the CSR: it signs now, with the real signer.
    issued = intermediate.sign(root_ws, plan, PASSPHRASE, csr_id=csr_id)
    assert root_ws.db.execute("SELECT count(*) FROM certificates").fetchone()[0] == certificates + 1
    assert issued.cert_id and _signings(root_ws) == ["ca.sign-intermediate"]


def test_a_signer_that_changes_the_tbs_stores_nothing(
    root_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refused(
        root_ws,
        monkeypatch,
        lambda: monkeypatch.setattr(intermediate, "FileSigner", ChangesTheTbs),
        "differs from the one that was linted; it was not stored",
    )


def test_a_signature_by_another_key_stores_nothing(
    root_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refused(
        root_ws,
        monkeypatch,
        lambda: monkeypatch.setattr(intermediate, "FileSigner", SignsWithAnotherKey),
        "signature does not verify",
    )


def test_a_certificate_that_fails_lint_once_signed_is_not_stored(
    root_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = lint.lint_certificate

    def lint_after_fails(cert: x509.Certificate, waivers: object = None) -> lint.LintReport:
        report = real(cert, None)
        # The lint copy is signed by a throw-away key; only the real certificate verifies.
        try:
            cert.verify_directly_issued_by(_root_cert(root_ws))
        except InvalidSignature:  # the throw-away copy: lint it as it is
            return report
        problem = lint.Finding("test.after", lint.Severity.ERROR, "injected after signing", "")
        return replace(report, findings=(*report.findings, problem))

    _refused(
        root_ws,
        monkeypatch,
        lambda: monkeypatch.setattr(lint, "lint_certificate", lint_after_fails),
        "problems in the signed certificate, so it was not stored",
    )


def _root_cert(ws: Workspace) -> x509.Certificate:
    from pkiadmin.core.inventory import records as inventory

    return inventory.load_certificate(ws.db, 1)
