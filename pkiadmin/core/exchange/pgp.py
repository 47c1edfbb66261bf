"""OpenPGP through python-gnupg and the gpg binary, in pkiadmin's own GnuPG home (never ~/.gnupg).

Hygiene from the research (trust-exchange-research.md §1.3): a short home path (gpg-agent's
socket path limit), no passphrase caching, an explicit trust model, UTF-8, a time limit on every
call, the agent stopped when pkiadmin exits. Identity is the full primary fingerprint, never a
name, e-mail or key id."""

from __future__ import annotations

import atexit
import io
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pkiadmin.core.base import processes
from pkiadmin.core.base.errors import PkiError, ValidationError
from pkiadmin.core.exchange import pgp_run
from pkiadmin.core.exchange.pgp_run import Outcome

TIMEOUT_S = 60.0
_GPG_CONF = (
    "trust-model always\n"  # pkiadmin pins fingerprints itself; gpg's web of trust is not used
    "no-auto-key-retrieve\n"
    "auto-key-locate local\n"
    "keyid-format long\n"
    "with-fingerprint\n"
    "personal-digest-preferences SHA512 SHA384 SHA256\n"
    "no-emit-version\n"
)
_AGENT_CONF = "default-cache-ttl 0\nmax-cache-ttl 0\nallow-loopback-pinentry\n"
_MAX_HOME_CHARS = 60
MAX_SIGNATURE_BYTES = 64 * 1024
T = TypeVar("T")
_KEYRINGS: dict[Path, Keyring] = {}


class PgpError(PkiError):
    """gpg is missing, did not answer, or refused; the message says which and what to do."""


def normalise_fingerprint(value: str) -> str:
    fpr = value.replace(" ", "").replace(":", "").upper()
    if len(fpr) != 40 or any(c not in "0123456789ABCDEF" for c in fpr):
        raise ValidationError(
            f"'{value}' is not a full OpenPGP fingerprint (40 hex digits); short key ids and names are not accepted."
        )
    return fpr


def grouped(fpr: str) -> str:
    """gpg's own grouping: ten groups of four, a double space in the middle."""
    groups = [fpr[i : i + 4] for i in range(0, 40, 4)]
    return " ".join(groups[:5]) + "  " + " ".join(groups[5:])


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    uids: tuple[str, ...]
    expires: str
    validity: str  # gpg's letter: e expired, r revoked, ...
    secret: bool


class Keyring:
    """One GnuPG home. Every call has a time limit; gpg waits forever on a lock held by a live process."""

    def __init__(self, home: Path, timeout: float = TIMEOUT_S) -> None:
        if shutil.which("gpg") is None:
            raise PgpError(
                "gpg is not installed on this machine; install the 'gnupg' package (make run does)."
            )
        check_owned(home)  # before anything is created under it
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        home.chmod(0o700)
        for name, text in (("gpg.conf", _GPG_CONF), ("gpg-agent.conf", _AGENT_CONF)):
            path = home / name
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                path.chmod(0o600)
        self.home = home
        self.short_home = _short(home)
        self.timeout = timeout
        import gnupg

        self.gpg = gnupg.GPG(gnupghome=str(self.short_home), encoding="utf-8")
        atexit.register(self.stop_agent)

    @classmethod
    def for_home(cls, home: Path) -> Keyring:
        """One Keyring per home in this process: gpg's version probe, the configuration check and
        the exit hook that stops the agent happen once, not on every call."""
        key = home.resolve()
        found = _KEYRINGS.get(key)
        if found is None or shutil.which("gpg") is None:
            found = _KEYRINGS[key] = cls(home)
        return found

    def stop_agent(self) -> None:
        gpgconf = shutil.which("gpgconf")
        if gpgconf is None:
            return
        subprocess.run(
            [gpgconf, "--homedir", str(self.short_home), "--kill", "all"],
            capture_output=True,
            check=False,
            timeout=10,
        )

    def call(self, what: str, action: Callable[[], T]) -> T:
        """Run one gpg operation on a helper thread; give up (and stop the agent) after the time limit."""
        result: list[T] = []
        error: list[BaseException] = []

        def run() -> None:
            try:
                result.append(action())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                error.append(exc)

        worker = threading.Thread(target=run, name="pkiadmin-gpg", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            self.stop_agent()
            raise PgpError(
                f"gpg did not finish '{what}' within {self.timeout:.0f} s; another program may hold a lock "
                f"in {self.home}. Close it and try again."
            )
        if error:
            if isinstance(error[0], ValueError):
                raise PgpError(f"gpg refused '{what}': {error[0]}") from error[0]
            raise error[0]
        return result[0]

    # --- keys ---------------------------------------------------------------------------

    def keys(self, secret: bool = False) -> tuple[KeyInfo, ...]:
        listed = self.call("list keys", lambda: self.gpg.list_keys(secret=secret))
        return tuple(
            KeyInfo(
                k["fingerprint"], tuple(k["uids"]), k.get("expires", ""), k.get("trust", ""), secret
            )
            for k in listed
        )

    def key(self, fingerprint: str) -> KeyInfo | None:
        fpr = normalise_fingerprint(fingerprint)
        return next((k for k in self.keys() if k.fingerprint == fpr), None)

    def import_public(self, data: bytes) -> KeyInfo:
        """Import exactly one public key (no secret key); returns it."""
        scanned = self.call(
            "scan key", lambda: self.gpg.scan_keys_mem(data.decode("utf-8", "replace"))
        )
        if len(scanned) != 1:
            raise ValidationError(
                f"The file holds {len(scanned)} OpenPGP keys; import the partner's key on its own (exactly one)."
            )
        if scanned[0].get("type") == "sec":
            raise ValidationError("That is a secret key; import only the partner's public key.")
        imported = self.call("import key", lambda: self.gpg.import_keys(data))
        fprs = list(getattr(imported, "fingerprints", []))
        if not fprs:
            raise ValidationError(
                "gpg imported no key from that file (it is not an OpenPGP public key)."
            )
        info = self.key(fprs[0])
        assert info is not None  # noqa: S101
        return info

    def generate(self, name: str, email: str, passphrase: str, expire: str = "2y") -> KeyInfo:
        """An ed25519 signing key with a cv25519 encryption subkey, protected by the passphrase.

        The passphrase goes to gpg through loopback pinentry on a pipe, never into a file or the
        command line; with the agent's cache at 0 s it must also be there for the self-signature,
        which python-gnupg's parameter-file route does not guarantee."""
        if not name.strip() or "@" not in email or any(c in name + email for c in "\r\n"):
            raise ValidationError("The key needs a name and an e-mail address (one line each).")
        if any(c in passphrase for c in "\r\n\0"):
            raise ValidationError("The passphrase cannot contain line breaks.")
        params = self.home / f"keyparams-{secrets.token_hex(4)}"
        params.write_text(
            "Key-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign,cert\n"
            "Subkey-Type: ECDH\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
            f"Name-Real: {name}\nName-Email: {email}\nExpire-Date: {expire}\n%commit\n",
            encoding="utf-8",
        )
        params.chmod(0o600)
        gpg = shutil.which("gpg") or "gpg"
        args = [
            gpg, "--homedir", str(self.short_home), "--batch", "--status-fd", "1",
            "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--gen-key", str(params),
        ]  # fmt: skip
        try:
            done = self.call(
                "generate key",
                lambda: subprocess.run(
                    args, input=passphrase.encode() + b"\n", capture_output=True, check=False
                ),
            )
        finally:
            params.unlink(missing_ok=True)
        created = [
            line.split()[-1]
            for line in done.stdout.decode(errors="replace").splitlines()
            if line.startswith("[GNUPG:] KEY_CREATED")
        ]
        if done.returncode != 0 or not created:
            raise PgpError(
                f"gpg could not generate the key: {done.stderr.decode(errors='replace')[-300:]}"
            )
        info = self.key(created[-1])
        assert info is not None  # noqa: S101
        return info

    def export_public(self, fingerprint: str) -> str:
        fpr = normalise_fingerprint(fingerprint)
        armored = str(self.call("export key", lambda: self.gpg.export_keys(fpr)))
        if not armored.strip():
            raise ValidationError(f"No key {grouped(fpr)} in pkiadmin's keyring.")
        return armored

    # --- sign, encrypt, decrypt, verify ---------------------------------------------------

    def sign_detached(self, data: bytes, signer: str, passphrase: str) -> bytes:
        signed = self.call(
            "sign",
            lambda: self.gpg.sign(
                data, keyid=signer, passphrase=passphrase, detach=True, binary=True
            ),
        )
        if not signed.data:
            raise PgpError(_why(signed, "signing failed"))
        return bytes(signed.data)

    def encrypt_signed(self, data: bytes, recipient: str, signer: str, passphrase: str) -> bytes:
        done = self.call(
            "encrypt",
            lambda: self.gpg.encrypt(
                data,
                [recipient],
                sign=signer,
                passphrase=passphrase,
                armor=False,
                always_trust=True,
            ),
        )
        if not done.ok:
            raise PgpError(_why(done, "encryption failed"))
        return bytes(done.data)

    def decrypt(self, data: bytes, passphrase: str) -> Any:
        """The raw result; pkiadmin's acceptance rule (packages.accept_signature) judges it."""
        return self.call("decrypt", lambda: self.gpg.decrypt(data, passphrase=passphrase))

    def decrypt_bounded(
        self, source: pgp_run.Readable, passphrase: str, limit: int
    ) -> tuple[Outcome, str]:
        """Decrypt what `source` holds, reading at most `limit` bytes of plaintext (gpg is
        stopped beyond); the outcome from gpg's status lines and the SHA-256 of the input."""
        return pgp_run.run(
            self.short_home, ["--decrypt"], source, limit, self.timeout, passphrase=passphrase
        )

    def verify_detached(self, signature: bytes, data: bytes) -> Outcome:
        """A binary detached signature over `data`, judged from gpg's status lines."""
        if len(signature) > MAX_SIGNATURE_BYTES:
            return Outcome(2, b"", errors=["the signature file is far too large"])
        with tempfile.NamedTemporaryFile(dir=self.home, prefix="sig-", delete=True) as sig:
            sig.write(signature)
            sig.flush()
            outcome, _ = pgp_run.run(
                self.short_home, ["--verify", sig.name, "-"], io.BytesIO(data), 0, self.timeout
            )
            return outcome


def _why(result: Any, default: str) -> str:
    detail = getattr(result, "status_detail", "") or ""
    status = getattr(result, "status", "") or default
    return f"gpg: {status}{f' ({detail})' if detail else ''}."


def check_owned(path: Path) -> None:
    """Refuse a GnuPG home that another local user could change: every component of its path
    must belong to us or root, and none may be writable by others (unless sticky, like /tmp)."""
    uid = os.getuid()
    for part in [path, *path.parents]:
        try:
            info = part.lstat()
        except OSError:
            continue
        if info.st_uid not in (uid, 0):
            raise PgpError(
                f"{part} belongs to another user (uid {info.st_uid}); pkiadmin's GnuPG home must not "
                "lie under a folder someone else controls. Move the workspace."
            )
        writable = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if writable and not info.st_mode & stat.S_ISVTX and stat.S_ISDIR(info.st_mode):
            raise PgpError(
                f"{part} can be written by other users; pkiadmin's GnuPG home must not lie under it. "
                "Move the workspace, or remove the write permission (chmod go-w)."
            )


def _socket_dir_elsewhere(home: Path) -> bool:
    """gpg's own mechanism: with /run/user/<uid>, `gpgconf --create-socketdir` gives the home a
    socket folder there, and the home's length no longer matters."""
    gpgconf = shutil.which("gpgconf")
    if gpgconf is None or not Path(f"/run/user/{os.getuid()}").is_dir():
        return False
    for args in (["--create-socketdir"], ["--list-dirs", "socketdir"]):
        done = subprocess.run(
            [gpgconf, "--homedir", str(home), *args], capture_output=True, check=False, timeout=10
        )
    socket_dir = done.stdout.decode(errors="replace").strip()
    return done.returncode == 0 and socket_dir.startswith("/run/user/") and len(socket_dir) < 80


def _tidy_killed_links() -> None:
    """The private link folders of this user's pkiadmin processes that were killed (their exit
    handler never ran): the gpg-agent still serving through the link is stopped and the folder
    removed, so nothing of theirs stays in the shared temporary folder."""
    for folder in Path(tempfile.gettempdir()).glob("pkiadmin-gpg-*-*"):
        pid = folder.name.removeprefix("pkiadmin-gpg-").partition("-")[0]
        try:
            info = folder.lstat()
        except OSError:
            continue
        if not (pid.isdigit() and info.st_uid == os.getuid() and stat.S_ISDIR(info.st_mode)):
            continue
        if processes.alive(int(pid)):
            continue
        link = folder / "h"
        gpgconf = shutil.which("gpgconf")
        if gpgconf is not None and link.is_symlink():
            subprocess.run(
                [gpgconf, "--homedir", str(link), "--kill", "gpg-agent"],
                capture_output=True,
                check=False,
                timeout=10,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _short(home: Path) -> Path:
    """gpg-agent puts its sockets in the home when /run/user/<uid> is missing, and a socket path
    over ~107 characters makes it fail. A long home is then reached through a link inside a
    private folder with a random name (mode 0700, ours alone), removed when pkiadmin exits: no
    other user can predict, create or repoint it."""
    check_owned(home)
    if len(str(home)) <= _MAX_HOME_CHARS or _socket_dir_elsewhere(home):
        return home
    _tidy_killed_links()
    # The process id in the name lets a later pkiadmin tidy up after this one if it is killed.
    private = Path(tempfile.mkdtemp(prefix=f"pkiadmin-gpg-{os.getpid()}-"))
    info = private.lstat()
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) != 0o700:
        raise PgpError(f"{private} is not a private folder of this user; refusing to use it.")
    link = private / "h"
    link.symlink_to(home, target_is_directory=True)
    atexit.register(shutil.rmtree, private, True)
    return link
