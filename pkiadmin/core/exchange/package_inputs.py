"""Files given to `partner validate`: certificates and CRLs in PEM (one or many per file) or DER,
from files and folders, each read with a size bound; the self-signed certificates are the trust
anchors unless anchors are named."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509

from pkiadmin.core.base.display import safe
from pkiadmin.core.exchange import partner_validation

MAX_FILE_BYTES = 16 * 1024 * 1024
_PEM = re.compile(rb"-----BEGIN (CERTIFICATE|X509 CRL)-----.*?-----END \1-----", re.DOTALL)


@dataclass
class Inputs:
    anchors: list[tuple[str, bytes]] = field(default_factory=list)
    certificates: list[tuple[str, bytes]] = field(default_factory=list)
    crls: list[tuple[str, bytes]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return out


def _blocks(path: Path, inputs: Inputs) -> list[tuple[str, str, bytes]]:
    """(kind, label, data) for each certificate or CRL in the file."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        inputs.problems.append(f"{safe(str(path))} cannot be read ({exc.strerror})")
        return []
    if len(data) > MAX_FILE_BYTES:
        inputs.problems.append(f"{safe(str(path))} is larger than {MAX_FILE_BYTES >> 20} MiB")
        return []
    found = _PEM.findall(data)
    if b"-----BEGIN" in data:
        blocks = [m.group(0) for m in _PEM.finditer(data)]
        kinds = ["crl" if k == b"X509 CRL" else "cert" for k in found]
        if len(blocks) == 1:
            return [(kinds[0], str(path), blocks[0])]
        return [
            (k, f"{path}[{i + 1}]", b) for i, (k, b) in enumerate(zip(kinds, blocks, strict=True))
        ]
    try:
        x509.load_der_x509_crl(data)
    except ValueError:
        return [("cert", str(path), data)]
    return [("crl", str(path), data)]


def collect(paths: list[Path], anchor_paths: list[Path]) -> Inputs:
    inputs = Inputs()
    for path in _files(anchor_paths):
        inputs.anchors += [(label, d) for kind, label, d in _blocks(path, inputs) if kind == "cert"]
    for path in _files(paths):
        for kind, label, data in _blocks(path, inputs):
            if kind == "crl":
                inputs.crls.append((label, data))
                continue
            try:
                self_signed = partner_validation.is_self_signed(
                    partner_validation.load_certificate(data)
                )
            except ValueError:
                self_signed = False
            target = inputs.anchors if self_signed and not anchor_paths else inputs.certificates
            if not (self_signed and anchor_paths):
                target.append((label, data))
    return inputs


def validate_files(
    paths: Sequence[Path],
    anchors: Sequence[Path] = (),
    at: datetime | None = None,
    require_ca: bool = True,
) -> tuple[partner_validation.Report, list[str]]:
    """Validate the certificates and CRLs found in `paths` (files or folders) against `anchors`
    (default: the self-signed certificates among them): the report, and every problem with the
    inputs or the CRLs."""
    inputs = collect(list(paths), list(anchors))
    report = partner_validation.validate(
        inputs.anchors,
        inputs.certificates,
        inputs.crls,
        at,
        partner_validation.Parameters(require_ca=require_ca),
    )
    return report, [*inputs.problems, *report.crl_findings]
