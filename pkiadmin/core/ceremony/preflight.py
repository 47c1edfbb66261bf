"""Pre-flight checks before a ceremony: network, clock, software, workspace, the backup medium
the key will be written to, custodians present."""

from __future__ import annotations

import enum
import os
import platform
import secrets
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cryptography

from pkiadmin import __version__
from pkiadmin.core.base import version
from pkiadmin.core.base.errors import PkiError
from pkiadmin.core.workspace.folder import Workspace

_SYS_NET = Path("/sys/class/net")


class Status(enum.Enum):
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


def network_interfaces_up(sys_net: Path = _SYS_NET) -> tuple[str, ...]:
    """Interfaces other than loopback whose operational state is up (or unknown but carrier on)."""
    if not sys_net.is_dir():
        return ()
    up = []
    for entry in sorted(sys_net.iterdir()):
        if entry.name == "lo":
            continue
        try:
            state = (entry / "operstate").read_text().strip()
        except OSError:
            continue
        if state == "up":
            up.append(entry.name)
    return tuple(up)


def environment() -> dict[str, str]:
    """Facts for the report: software versions and hashes, host and OS."""
    return {
        "pkiadmin": __version__,
        "pkiadmin_files_sha256": version.package_digest(),
        "python": sys.version.split()[0],
        "cryptography": cryptography.__version__,
        "openssl": _openssl_version(),
        "host": platform.node(),
        "os": platform.platform(),
    }


def _openssl_version() -> str:
    from cryptography.hazmat.backends.openssl.backend import backend

    return str(backend.openssl_version_text())


def writable(folder: Path) -> str | None:
    """None when a file can be written, synced and removed in `folder`; else what is wrong."""
    if not folder.is_dir():
        return f"{folder.resolve()} does not exist or is not a folder"
    probe = folder / f".preflight-{secrets.token_hex(4)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"x")
            os.fsync(fd)
        finally:
            os.close(fd)
        probe.unlink()
    except OSError as exc:
        return f"{folder.resolve()} is not writable: {exc.strerror}"
    return None


def token_present(label: str, module: str | None) -> Check:
    """The token the plan names, found in its slot (the PIN is asked for later, at the key)."""
    from pkiadmin.core.keys import pkcs11

    try:
        labels = [t.label for t in pkcs11.list_tokens(module)]
    except PkiError as exc:
        return Check("token", Status.FAILED, f"the PKCS#11 module cannot be used: {exc}")
    if label not in labels:
        found = ", ".join(f"'{lab}'" for lab in labels) or "none"
        return Check(
            "token",
            Status.FAILED,
            f"the token '{label}' is not present (tokens found: {found}): insert it",
        )
    return Check("token", Status.OK, f"the token '{label}' is present")


def run(
    ws: Workspace,
    sys_net: Path = _SYS_NET,
    backup_folder: Path | None = None,
    token: tuple[str, str | None] | None = None,
) -> tuple[Check, ...]:
    """`backup_folder`: where the key backup will be written; `token`: (label, PKCS#11 module)
    of the token the key will be generated on. Both are checked now, rather than found missing
    at their step."""
    checks = []
    up = network_interfaces_up(sys_net)
    checks.append(
        Check(
            "network",
            Status.WARNING,
            "interfaces up: " + ", ".join(up) + " — disconnect them, or record a waiver",
        )
        if up
        else Check("network", Status.OK, "no network interface up other than loopback")
    )
    now = datetime.now(UTC)
    local = datetime.now().astimezone()
    checks.append(
        Check(
            "clock",
            Status.OK,
            f"{now:%Y-%m-%d %H:%M:%S} UTC ({local:%H:%M:%S %Z} local) — read aloud; the witness confirms",
        )
    )
    env = environment()
    checks.append(
        Check(
            "software",
            Status.OK,
            f"pkiadmin {env['pkiadmin']}, files SHA-256 {env['pkiadmin_files_sha256']}",
        )
    )
    problem = writable(ws.path)
    checks.append(
        Check("workspace", Status.FAILED, problem)
        if problem
        else Check("workspace", Status.OK, f"{ws.path} is writable")
    )
    if token is not None:
        checks.append(token_present(*token))
    if backup_folder is not None:
        problem = writable(backup_folder)
        checks.append(
            Check("backup medium", Status.FAILED, f"{problem}: mount the backup medium")
            if problem
            else Check("backup medium", Status.OK, f"{backup_folder.resolve()} is writable")
        )
    return tuple(checks)
