"""Atomic, never-overwriting file writes: temp file + fsync + link into place."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from pkiadmin.core.base import faults
from pkiadmin.core.base.errors import StorageError


def write_new_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path`, which must not exist yet; readers never see a partial file."""
    write_new_file_from(path, (data,), mode)


def write_new_file_from(path: Path, chunks: Iterable[bytes], mode: int = 0o600) -> None:
    """Write the chunks to `path`, which must not exist yet; readers never see a partial file.

    The content goes to a temporary file in the same folder (created with `mode`, so a key is
    never readable by others, even for a moment), is fsynced, and is then hard-linked to its
    final name: link() fails if that name exists, so nothing is ever overwritten.
    """
    folder = path.parent
    if path.exists():
        raise StorageError(
            f"{path} already exists; pkiadmin never overwrites a file. Choose another name."
        )
    tmp = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise StorageError(
            f"Cannot create a file in {folder}: {exc.strerror}. Check that the folder is writable."
        ) from exc
    try:
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        faults.step(f"temp file for {path.name}")
        os.link(tmp, path)
        _fsync_dir(folder)
        faults.step(f"wrote {path.name}")
    except FileExistsError as exc:
        raise StorageError(
            f"{path} already exists; pkiadmin never overwrites a file. Choose another name."
        ) from exc
    except OSError as exc:
        raise StorageError(
            f"Writing {path} failed: {exc.strerror}. Free some space or check the disk, then try again; "
            "nothing was changed."
        ) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def shred(path: Path) -> None:
    """Overwrite a file's content in place with random bytes, then zeros, each pass fsynced, and
    remove it. (On flash storage and copy-on-write file systems the old blocks may survive: the
    medium itself is destroyed in a key destruction ceremony.)"""
    try:
        size = path.stat().st_size
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"Cannot overwrite {path}: {exc.strerror}.") from exc
    try:
        for random_pass in (True, False):
            os.lseek(fd, 0, os.SEEK_SET)
            left = size
            while left:
                n = min(left, 1 << 16)
                left -= os.write(fd, secrets.token_bytes(n) if random_pass else bytes(n))
            os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    _fsync_dir(path.parent)


def remove_new_file(path: Path) -> None:
    """Undo write_new_file() when the operation it belonged to failed later."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
