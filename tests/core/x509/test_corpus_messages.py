"""Every certificate and CSR file of cryptography's own test corpus (cryptography-vectors: RFC
5280 oddities, malformed DER and PEM, unusual keys and algorithms, the PKITS data) goes through
certificate import and CSR intake, and whatever the operator reads about a refused file is a
sentence: never a parsing library's dump (ParseError {…}, tags, positions), a traceback, an
exception's repr or a URL. Nothing else than pkiadmin's own errors escapes either."""

from __future__ import annotations

from pathlib import Path

import cryptography_vectors
import pytest

from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.inventory import importer
from pkiadmin.core.issuance import requests
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from tests.plain_messages import assert_plain

VECTORS = Path(cryptography_vectors.__file__).parent / "x509"
SUFFIXES = {".pem", ".der", ".crt", ".cer", ".csr", ".req", ".p7b", ".p7c"}


def _corpus() -> list[Path]:
    files = sorted(p for p in VECTORS.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    assert len(files) > 600  # certificates and CSRs, PKITS' certificates included
    return files


def test_every_corpus_file_refused_on_import_gets_a_sentence(ws: Workspace) -> None:
    summary = importer.import_paths(ws, _corpus())
    assert summary.imported > 450 and len(summary.refused) > 20
    for source, why in summary.refused:
        assert_plain(why, source)
    assert audit.verify(ws.db).ok


@pytest.mark.parametrize("group", range(4))
def test_every_corpus_file_given_as_a_csr_gets_a_sentence(group: int) -> None:
    refused = 0
    for path in _corpus()[group::4]:
        try:
            requests.acceptable(path.read_bytes(), path.name)
        except PkiError as exc:
            refused += 1
            assert_plain(str(exc), path.name)
    assert refused > 100
