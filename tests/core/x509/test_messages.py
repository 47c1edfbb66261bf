"""What the operator reads about a damaged or wrong file is a sentence, never a parsing
library's dump (ParseError {…}, tags, positions), a traceback or a URL: damaged CSRs and
certificates cut at every length and with flipped bytes, through CSR intake and certificate
import; a certificate given as a CSR is told it is a certificate; a cut PEM CSR is told it is
cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.inventory import importer
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import csr
from tests.core.x509.test_csr import make_csr, pem
from tests.plain_messages import assert_plain


def _variants(data: bytes) -> list[bytes]:
    cuts = [data[:n] for n in range(1, len(data), max(1, len(data) // 40))]
    flips = [data[:i] + bytes([data[i] ^ 0x41]) + data[i + 1 :] for i in range(0, len(data), 29)]
    return cuts + flips


def test_damaged_csrs_get_a_sentence(tmp_path: Path) -> None:
    request = make_csr()
    for data in _variants(pem(request)) + _variants(
        request.public_bytes(serialization.Encoding.DER)
    ):
        try:
            csr.check(csr.load(data, "the CSR"))
        except ValidationError as exc:
            assert_plain(str(exc))


def test_a_certificate_given_as_a_csr_is_named_a_certificate(root_ws: Workspace) -> None:
    from pkiadmin.core.inventory import records as inventory

    cert = inventory.load_certificate(root_ws.db, 1)
    for data in (
        cert.public_bytes(serialization.Encoding.PEM),
        cert.public_bytes(serialization.Encoding.DER),
    ):
        with pytest.raises(ValidationError, match="is a certificate.*not a certificate request"):
            csr.load(data, "request.pem")


def test_a_cut_pem_csr_is_told_it_is_cut() -> None:
    text = pem(make_csr())
    with pytest.raises(ValidationError, match="is truncated: its -----END CERTIFICATE REQUEST"):
        csr.load(text[: len(text) // 2], "half.csr")


def test_damaged_certificates_on_import_get_a_sentence(root_ws: Workspace, tmp_path: Path) -> None:
    from pkiadmin.core.inventory import records as inventory

    cert = inventory.load_certificate(root_ws.db, 1)
    folder = tmp_path / "damaged"
    folder.mkdir()
    for n, data in enumerate(
        _variants(cert.public_bytes(serialization.Encoding.PEM))[::3]
        + _variants(cert.public_bytes(serialization.Encoding.DER))[::3]
    ):
        (folder / f"c{n:03d}.{'pem' if data.startswith(b'-----') else 'der'}").write_bytes(data)
    summary = importer.import_paths(root_ws, [folder])
    assert summary.refused
    for _name, why in summary.refused:
        assert_plain(why)
