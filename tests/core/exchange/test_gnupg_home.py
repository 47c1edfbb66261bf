"""pkiadmin's GnuPG home: no predictable name in /tmp that another local user could create or
repoint, nothing left there afterwards, and no home under a folder others can write."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pkiadmin.core.exchange import pgp

PROBE = """
import os, sys, stat
from pathlib import Path
from pkiadmin.core.exchange import pgp
ring = pgp.Keyring(Path(sys.argv[1]))
short = ring.short_home
assert short != Path(sys.argv[1]), short
parent = short.parent
info = parent.lstat()
assert info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700, oct(info.st_mode)
assert short.resolve() == Path(sys.argv[1]).resolve()
ring.keys()
print(parent)
"""


def _ours() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("pkiadmin-gpg-*")}


def test_a_long_home_is_reached_through_a_private_folder_removed_at_exit(tmp_path: Path) -> None:
    home = tmp_path / ("a-long-folder-name-" * 4) / "gnupg"
    home.parent.mkdir(parents=True)
    # What another user could have planted under the old predictable name: a folder there.
    old = (
        Path(tempfile.gettempdir())
        / f"pkiadmin-gpg-{hashlib.sha256(str(home).encode()).hexdigest()[:12]}"
    )
    old.mkdir(exist_ok=True)
    try:
        before = _ours()
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(home)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        private = Path(done.stdout.strip())
        assert private.name not in before  # a new, random name
        assert not private.exists()  # removed when the process ended
        assert not _ours() - before  # nothing of its own left (stale ones may be tidied)
    finally:
        old.rmdir()


def test_a_home_under_a_folder_others_can_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # writable by all, not sticky: another user could swap what is inside
    with pytest.raises(pgp.PgpError, match="can be written by other users"):
        pgp.Keyring(shared / "ws" / "gnupg")
    assert not (shared / "ws").exists()


KILLED = """
import os, signal, subprocess, sys
from pathlib import Path
from pkiadmin.core.exchange import pgp
short = pgp.Keyring(Path(sys.argv[1])).short_home
subprocess.run(["gpg-connect-agent", "--homedir", str(short), "/bye"], check=True,
               capture_output=True)
print(short.parent, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _agents_serving(link: Path) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"gpg-agent") and str(link).encode() in args:
            found.append(int(cmdline.parent.name))
    return found


def test_what_a_killed_pkiadmin_left_in_tmp_is_tidied_by_the_next(tmp_path: Path) -> None:
    """A kill skips the exit handler: the private folder stays, with a gpg-agent serving through
    it. The next pkiadmin that needs such a folder stops that agent and removes the folder."""
    home = tmp_path / ("a-long-folder-name-" * 4) / "gnupg"
    home.parent.mkdir(parents=True)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED, str(home)], capture_output=True, text=True, check=False
    )
    assert killed.returncode == -9, killed.stderr
    left = Path(killed.stdout.strip())
    assert left.is_dir() and _agents_serving(left / "h")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(home)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not left.exists()
    assert _agents_serving(left / "h") == []
