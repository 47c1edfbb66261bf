"""A received package's manifest.json, read as hostile input: bounded in size and nesting before
it is parsed, then checked field by field (types, required fields, hex digests, unique paths)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pkiadmin.core.base.display import safe
from pkiadmin.core.base.errors import PkiError

MAX_MANIFEST_BYTES = 1024 * 1024
MAX_DEPTH = 8
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ManifestError(PkiError):
    """manifest.json is not what a trust package's manifest must be."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class CertificateEntry:
    path: str
    sha256: str


@dataclass(frozen=True)
class Manifest:
    package_id: str
    files: tuple[FileEntry, ...]
    certificates: tuple[CertificateEntry, ...]


def _depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects, strings skipped, without parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _reject(why: str) -> ManifestError:
    return ManifestError(f"manifest.json cannot be used: {why}.")


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise _reject(f"{where} needs '{key}' as text")
    return value


def _digest(obj: dict[str, Any], key: str, where: str) -> str:
    value = _text(obj, key, where).lower()
    if not _SHA256.fullmatch(value):
        raise _reject(f"{where}: '{key}' is not a SHA-256 in hex")
    return value


def _entries(manifest: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = manifest.get(key)
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise _reject(f"'{key}' must be a list of objects")
    return value


def parse(data: bytes) -> Manifest:
    if len(data) > MAX_MANIFEST_BYTES:
        raise _reject(f"it is {len(data) // 1024} KiB (at most {MAX_MANIFEST_BYTES // 1024} KiB)")
    if _depth(data) > MAX_DEPTH:
        raise _reject(f"it is nested more than {MAX_DEPTH} levels deep")
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _reject(f"it is not JSON ({safe(str(exc))[:120]})") from exc
    if not isinstance(manifest, dict):
        raise _reject("it must be a JSON object")
    package_id = manifest.get("package_id", "")
    if not isinstance(package_id, str) or len(package_id) > 200:
        raise _reject("'package_id' must be short text")
    files: list[FileEntry] = []
    for i, entry in enumerate(_entries(manifest, "files")):
        where = f"files[{i}]"
        size = entry.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _reject(f"{where} needs 'size' as a whole number")
        files.append(FileEntry(_text(entry, "path", where), _digest(entry, "sha256", where), size))
    certs = [
        CertificateEntry(
            _text(e, "path", f"certificates[{i}]"), _digest(e, "sha256", f"certificates[{i}]")
        )
        for i, e in enumerate(_entries(manifest, "certificates"))
    ]
    for what, paths in (
        ("files", [f.path for f in files]),
        ("certificates", [c.path for c in certs]),
    ):
        if len(set(paths)) != len(paths):
            raise _reject(f"'{what}' lists a path twice")
    return Manifest(safe(package_id), tuple(files), tuple(certs))
