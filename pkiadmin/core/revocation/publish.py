"""Publishing a CA's revocation status in one unlock: its next CRL and, when it has issued
certificates, a pre-signed OCSP response for each of them (valid no longer than the CRL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.issuance import intermediate
from pkiadmin.core.revocation import crl, ocsp
from pkiadmin.core.workspace.folder import Workspace


@dataclass(frozen=True)
class Published:
    crl: crl.IssuedCrl
    ocsp: ocsp.OcspExport | None  # None: the CA has issued nothing to answer for


def issue(
    ws: Workspace,
    ca_id: int,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
    waivers: Mapping[str, str] | None = None,
    ocsp_folder: Path | None = None,
    with_ocsp: bool = True,
    ocsp_days: int | None = None,
    draft: crl.CrlDraft | None = None,
) -> Published:
    """The CRL (`draft`, the one shown, else prepared now) is signed and stored first; the OCSP
    responses after it, with the same key, valid for `ocsp_days` (default: the CRL period). If
    the responses fail (a full disk), the CRL stands and the error says so."""
    key = intermediate.unlock_issuer_key(ws, ca_id, key_passphrase, share_words)
    try:
        issued = crl.issue_with_key(ws, ca_id, key, waivers, draft=draft)
        responses = None
        if with_ocsp and ocsp.has_certificates(ws.db, ca_id):
            try:
                responses = ocsp.issue_with_key(ws, ca_id, key, ocsp_folder, ocsp_days)
            except PkiError as exc:
                raise type(exc)(
                    f"CRL {issued.signed.number} was signed and stored; the OCSP responses were "
                    f"not: {exc} Sign them with: pkiadmin-cli ocsp export {ca_id}"
                ) from exc
        return Published(issued, responses)
    finally:
        intermediate.release_key(key)
