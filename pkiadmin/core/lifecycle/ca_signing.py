"""A CA certificate signed by one of our CAs outside the CSR path (a renewal, a cross-
certificate): lint-then-sign with the issuer's unlocked key, then pkilint's chain lint and the
CA profile; nothing is stored here."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509

from pkiadmin.core.base.errors import CheckFailedError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance import intermediate as signing
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.workspace import blocklists
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import lint, profile


def sign_ca_certificate(
    ws: Workspace,
    issuer_ca_id: int,
    builder: x509.CertificateBuilder,
    path_length: int | None,
    what: str,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
) -> tuple[issuance.SignedCertificate, lint.LintReport]:
    """(the signed certificate with its lint reports, the chain lint); `what` names it in a
    refusal ("the renewed certificate")."""
    issuer = authorities.get_authority(ws.db, issuer_ca_id)
    issuer_cert = inventory.load_certificate(ws.db, issuer.cert_id)
    key = signing.unlock_issuer_key(ws, issuer_ca_id, key_passphrase, share_words)
    try:
        signed = issuance.sign_linted(
            builder,
            FileSigner(key, f"key of {issuer.name}"),
            issuer=issuer_cert,
            known_bad_lists=blocklists.installed(ws),
        )
    finally:
        signing.release_key(key)
    chain_lint = lint.lint_chain(issuer_cert, signed.certificate)
    if not chain_lint.ok:
        raise CheckFailedError(
            "pkilint's chain check failed, so nothing was stored: "
            + "; ".join(str(f) for f in chain_lint.blocking)
        )
    problems = profile.check_ca_certificate(signed.certificate, path_length, root=False)
    if problems:
        raise CheckFailedError(
            f"{what.capitalize()} does not meet the CA profile: " + "; ".join(problems)
        )
    return signed, chain_lint
