"""Decrypting and verifying partner material with gpg, bounded and judged from its status lines.

python-gnupg collects gpg's whole output in memory, so a 7.8 KB compressed package can grow to
gigabytes before anything is checked. Here gpg's output is read as it streams and gpg is killed
(its lock files removed) the moment it passes the limit. What gpg says is read from its
machine-readable status lines (doc/DETAILS in GnuPG): who the message was encrypted to, which key
decrypted it, each signature with its key and digest algorithm. The rules applied to them are in
`Outcome.problems` and `signature_problem`."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pkiadmin.core.base.display import safe
from pkiadmin.core.base.errors import PassphraseError, PkiError

# OpenPGP hash algorithm ids (RFC 4880 §9.4, RFC 9580 §9.5) accepted for a signature.
STRONG_DIGESTS = {
    "8": "SHA-256",
    "9": "SHA-384",
    "10": "SHA-512",
    "11": "SHA-224",
    "12": "SHA3-256",
    "14": "SHA3-512",
}
WEAK_DIGESTS = {"1": "MD5", "2": "SHA-1", "3": "RIPEMD-160"}
_STDERR_LIMIT = 1 << 20


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class OutputTooLargeError(PkiError):
    """gpg's output passed the limit; gpg was stopped."""


@dataclass
class Signature:
    key_id: str = ""
    good: bool = False
    fingerprint: str = ""  # primary key fingerprint from VALIDSIG
    digest: str = ""  # OpenPGP hash algorithm id
    problem: str = ""  # BADSIG, ERRSIG, NO_PUBKEY, EXPKEYSIG, ...


@dataclass
class Outcome:
    returncode: int
    data: bytes
    encrypted_to: list[str] = field(default_factory=list)  # key ids from ENC_TO
    decryption_key: str = ""  # primary fingerprint from DECRYPTION_KEY
    symmetric: bool = False
    bad_passphrase: bool = False
    decryption_failed: bool = False
    decryption_okay: bool = False
    signatures: list[Signature] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stderr: str = ""


def parse_status(lines: Iterator[str], outcome: Outcome) -> None:
    current: Signature | None = None
    for line in lines:
        if not line.startswith("[GNUPG:] "):
            continue
        key, _, value = line[9:].partition(" ")
        parts = value.split()
        if key == "ENC_TO" and parts:
            outcome.encrypted_to.append(parts[0].upper())
        elif key == "DECRYPTION_KEY" and len(parts) >= 2:
            outcome.decryption_key = parts[1].upper()
        elif key == "NEED_PASSPHRASE_SYM":
            outcome.symmetric = True
        elif key == "BAD_PASSPHRASE":
            outcome.bad_passphrase = True
        elif key in ("DECRYPTION_FAILED", "BADMDC"):
            outcome.decryption_failed = True
        elif key == "DECRYPTION_OKAY":
            outcome.decryption_okay = True
        elif key == "NEWSIG":
            current = Signature()
            outcome.signatures.append(current)
        elif key in ("GOODSIG", "BADSIG", "ERRSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG"):
            if current is None or (
                current.key_id and current.key_id != (parts[0] if parts else "")
            ):
                current = Signature()
                outcome.signatures.append(current)
            current.key_id = parts[0].upper() if parts else ""
            if key == "GOODSIG":
                current.good = True
            else:
                current.problem = key
                current.good = False
                if key == "ERRSIG" and len(parts) >= 7:
                    current.fingerprint = parts[6].upper()
        elif key == "VALIDSIG" and current is not None and len(parts) >= 10:
            current.fingerprint = parts[9].upper()
            current.digest = parts[7]
        elif key == "NO_PUBKEY" and current is not None:
            current.problem = current.problem or "NO_PUBKEY"
        elif key in ("FAILURE", "ERROR"):
            outcome.errors.append(value)
            # libgpg-error codes carry their source in the high bits; 11 is GPG_ERR_BAD_PASSPHRASE
            failed = key == "ERROR" and len(parts) >= 2 and parts[0] == "pkdecrypt_failed"
            if failed and parts[1].isdigit() and int(parts[1]) & 0xFFFF == 11:
                outcome.bad_passphrase = True


def signature_problem(outcome: Outcome, pinned: str, what: str, grouped: str) -> str | None:
    """None when exactly one good signature by the pinned key with a strong digest is there."""
    sigs = outcome.signatures
    if not sigs:
        return f"The {what} is not signed; it must be signed by the partner's registered key {grouped}."
    if len(sigs) != 1:
        return f"The {what} carries {len(sigs)} signatures; exactly one is accepted."
    sig = sigs[0]
    signer = sig.fingerprint or sig.key_id or "an unknown key"
    if sig.problem in ("ERRSIG", "NO_PUBKEY") or (not sig.good and not sig.problem):
        return (
            f"The {what} was signed by key {safe(signer)}, which is not the partner's registered key "
            f"{grouped} (pkiadmin has no public key for it)."
        )
    if sig.problem == "BADSIG":
        return f"The {what}'s signature does not verify: it was altered after it was signed."
    if sig.problem in ("EXPKEYSIG", "REVKEYSIG", "EXPSIG"):
        why = {
            "EXPKEYSIG": "has expired",
            "REVKEYSIG": "was revoked",
            "EXPSIG": "signature has expired",
        }
        return f"The {what} was signed by a key that {why[sig.problem]} ({safe(signer)})."
    if sig.fingerprint != pinned.upper():
        return (
            f"The {what} was signed by {safe(signer)}, not by the partner's registered key {grouped} "
            "(the name on the key does not count)."
        )
    if sig.digest in WEAK_DIGESTS:
        return (
            f"The {what} is signed with {WEAK_DIGESTS[sig.digest]}, which is no longer accepted; ask the "
            "partner to sign with SHA-256 or stronger (gpg --personal-digest-preferences SHA512)."
        )
    if sig.digest not in STRONG_DIGESTS:
        return f"The {what} is signed with an unknown digest algorithm ({safe(sig.digest)})."
    return None


def remove_stale_locks(home: Path, pid: int) -> None:
    """gpg's dotlock files name the process that holds them; those of a killed gpg go."""
    for lock in [*home.glob("*.lock"), *home.glob(".#lk*"), *home.glob("public-keys.d/*.lock")]:
        try:
            if lock.read_text(errors="replace").split()[:1] == [str(pid)]:
                lock.unlink()
        except (OSError, IndexError):
            continue


def run(
    home: Path,
    args: list[str],
    source: Readable,
    limit: int,
    timeout: float,
    passphrase: str | None = None,
    extra_fds: tuple[int, ...] = (),
) -> tuple[Outcome, str]:
    """gpg with `source` on stdin, status lines on stderr; stdout read up to `limit` bytes.
    Returns the outcome and the SHA-256 of what was read from `source`."""
    gpg = shutil.which("gpg")
    if gpg is None:
        raise PkiError("gpg is not installed on this machine; install the 'gnupg' package.")
    fds: list[int] = list(extra_fds)
    command = [gpg, "--homedir", str(home), "--batch", "--no-tty", "--status-fd", "2"]
    read_end = -1
    if passphrase is not None:
        read_end, write_end = os.pipe()
        os.write(write_end, passphrase.encode() + b"\n")
        os.close(write_end)
        fds.append(read_end)
        command += ["--pinentry-mode", "loopback", "--passphrase-fd", str(read_end)]
    command += args
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=tuple(fds),
        )
    finally:
        if read_end >= 0:
            os.close(read_end)
    digest = hashlib.sha256()
    stderr_chunks: list[bytes] = []
    killed = threading.Event()

    def feed() -> None:
        assert proc.stdin is not None  # noqa: S101 - PIPE
        try:
            while chunk := source.read(1 << 16):
                digest.update(chunk)
                proc.stdin.write(chunk)
        except (BrokenPipeError, OSError):
            pass
        finally:
            with contextlib.suppress(OSError):
                proc.stdin.close()

    def drain_stderr() -> None:
        assert proc.stderr is not None  # noqa: S101 - PIPE
        size = 0
        while chunk := proc.stderr.read(1 << 14):
            if size < _STDERR_LIMIT:
                stderr_chunks.append(chunk)
                size += len(chunk)

    def stop() -> None:
        killed.set()
        proc.kill()

    threads = [
        threading.Thread(target=feed, daemon=True),
        threading.Thread(target=drain_stderr, daemon=True),
    ]
    for t in threads:
        t.start()
    timer = threading.Timer(timeout, stop)
    timer.start()
    out = bytearray()
    too_large = False
    assert proc.stdout is not None  # noqa: S101 - PIPE
    try:
        while chunk := proc.stdout.read(1 << 16):
            if len(out) + len(chunk) > limit:
                too_large = True
                proc.kill()
                break
            out += chunk
    finally:
        timer.cancel()
        proc.stdout.close()
        returncode = proc.wait()
        for t in threads:
            t.join(5)
        if proc.stderr is not None:
            proc.stderr.close()
    if too_large or killed.is_set():
        remove_stale_locks(home, proc.pid)
        if too_large:
            raise OutputTooLargeError(
                f"gpg's output passed {limit // (1 << 20)} MiB; a trust package is far smaller "
                "(this one is probably built to exhaust memory). gpg was stopped."
            )
        raise PkiError(f"gpg did not finish within {timeout:.0f} s and was stopped.")
    text = b"".join(stderr_chunks).decode("utf-8", errors="replace")
    outcome = Outcome(returncode, bytes(out), stderr=text)
    parse_status(iter(text.splitlines()), outcome)
    return outcome, digest.hexdigest()


def decryption_problem(outcome: Outcome, officer: str, grouped_officer: str) -> str | None:
    """None when the message was public-key encrypted to our officer key and decrypted whole."""
    if outcome.bad_passphrase:
        raise PassphraseError(
            "The officer key's passphrase is wrong; nothing was opened or recorded. Try again."
        )
    if outcome.decryption_key and outcome.decryption_key != officer.upper():
        return (
            f"The package was decrypted with key {safe(outcome.decryption_key)}, not with our officer "
            f"key {grouped_officer}."
        )
    if not outcome.decryption_key:
        if outcome.symmetric and not outcome.encrypted_to:
            return (
                "The package is encrypted with a passphrase only; a trust package must be encrypted "
                f"to our officer key {grouped_officer}."
            )
        if outcome.encrypted_to:
            ids = ", ".join(safe(k) for k in outcome.encrypted_to)
            return (
                f"The package is encrypted to key id(s) {ids}, not to our officer key {grouped_officer}; "
                "ask the partner to encrypt it to our key."
            )
        return "The file is not an OpenPGP encrypted message (or it is damaged)."
    if outcome.decryption_failed or not outcome.decryption_okay:
        return "The package could not be decrypted whole: it is damaged or was altered in transit."
    return None
