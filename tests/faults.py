"""The crash harness: run an operation as a real `pkiadmin-cli` process, killed (SIGKILL) at its
Nth write step (pkiadmin.core.base.faults), then open the workspace again and check the invariants.
Used by tests/core/base/test_faults.py (a fixed-seed sample in `make test`) and benchmarks/faults.py
(every kill point)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
PASSPHRASE = "correct horse battery staple 42"
CLI = str(Path(sys.executable).parent / "pkiadmin-cli")


@dataclass(frozen=True)
class Operation:
    name: str
    prepare: Callable[[Path], None]  # builds the workspace the operation starts from
    args: Callable[[Path], list[str]]


def cli(
    ws: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "--workspace", str(ws), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "P": PASSPHRASE, "N": PASSPHRASE + " new", **(env or {})},
        check=False,
        timeout=300,
    )


def init(ws: Path) -> None:
    assert cli(ws, "workspace", "init").returncode == 0


def with_root(ws: Path) -> None:
    init(ws)
    done = cli(ws, "ca", "create-root", "--cn", "Fault Root", "--passphrase-env", "P")
    assert done.returncode == 0, done.stderr


def with_revocation(ws: Path) -> None:
    with_root(ws)
    made = cli(ws, "ca", "create-intermediate", "1", "--cn", "Issuing", "--issuer-passphrase-env", "P",
                "--passphrase-env", "N")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert cli(ws, "cert", "revoke", "2", "--reason", "keyCompromise", "--yes").returncode == 0


def with_partner(ws: Path) -> None:
    """A root, our officer key, and a partner whose key (made with plain gpg) is registered."""
    from tests.package_helpers import gpg, kill_agent, make_key, new_home

    with_root(ws)
    made = cli(ws, "partner", "officer-key", "--generate", "Olivia Officer", "olivia@example.com",
               "--passphrase-env", "P")  # fmt: skip
    assert made.returncode == 0, made.stderr
    home = new_home()
    try:
        fpr = make_key(home, "Pat Partner <pat@partner.example>")
        (ws.parent / "partner.asc").write_bytes(gpg(home, "--armor", "--export", fpr).stdout)
    finally:
        kill_agent(home)
        shutil.rmtree(home, ignore_errors=True)
    assert cli(ws, "partner", "add", "partner", "--organisation", "Partner SA").returncode == 0
    imported = cli(ws, "partner", "import-key", "partner", str(ws.parent / "partner.asc"),
                   "--fingerprint", fpr)  # fmt: skip
    assert imported.returncode == 0, imported.stderr


def with_der_folder(ws: Path) -> None:
    """A workspace and, in it, 600 DER files (more than one commit group of the import)."""
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.inventory_helpers import leaf

    init(ws)
    folder = ws / "der-in"  # inside the workspace: each kill run copies it along
    folder.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    for n in range(600):
        cert = leaf(f"h{n}.example", now - timedelta(days=1), now + timedelta(days=30), key, 10 + n)
        (folder / f"{n:04d}.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))


def rehearsal(ws: Path) -> list[str]:
    """The plan and answers of tests/data, staged next to the workspace with a backup folder."""
    folder = ws.parent / "plan"
    (folder / "backup").mkdir(parents=True, exist_ok=True)
    for name in ("ceremony-plan.toml", "rehearsal-answers.toml"):
        shutil.copy(DATA / name, folder / name)
    return ["ceremony", "run", str(folder / "ceremony-plan.toml"), "--rehearsal",
            str(folder / "rehearsal-answers.toml")]  # fmt: skip


OPERATIONS = (
    Operation(
        "ca create-root",
        init,
        lambda ws: ["ca", "create-root", "--cn", "Fault Root", "--passphrase-env", "P"],
    ),
    Operation(
        "ca create-intermediate",
        with_root,
        lambda ws: [
            "ca",
            "create-intermediate",
            "1",
            "--cn",
            "Policy",
            "--profile",
            "policy",
            "--issuer-passphrase-env",
            "P",
            "--passphrase-env",
            "N",
        ],
    ),
    Operation(
        "crl issue --export",
        with_revocation,
        lambda ws: [
            "crl",
            "issue",
            "1",
            "--passphrase-env",
            "P",
            "--export",
            str(ws / "exports" / "crls"),
        ],
    ),
    Operation(
        "package build",
        with_partner,
        lambda ws: [
            "package",
            "build",
            "partner",
            "--out-dir",
            str(ws / "exports" / "packages"),
            "--passphrase-env",
            "P",
        ],
    ),
    Operation("ceremony run (rehearsal)", init, rehearsal),
    Operation(
        "cert import FOLDER", with_der_folder, lambda ws: ["cert", "import", str(ws / "der-in")]
    ),
)


def steps(operation: Operation, template: Path) -> int:
    """How many write steps the operation takes, counted in a run without a kill."""
    folder = Path(tempfile.mkdtemp(prefix="faults-"))
    try:
        ws = folder / "ws"
        shutil.copytree(template, ws)
        log = folder / "steps.log"
        done = cli(ws, *operation.args(ws), env={"PKIADMIN_FAULT_LOG": str(log)})
        assert done.returncode == 0, done.stderr
        return len(log.read_text().splitlines())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def template(operation: Operation, folder: Path) -> Path:
    ws = (
        folder / f"template-{operation.name.split()[0]}-{abs(hash(operation.name)) % 10_000}" / "ws"
    )
    ws.parent.mkdir(parents=True)
    operation.prepare(ws)
    return ws


def kill_at(operation: Operation, template: Path, step: int) -> list[str]:
    """Run the operation killed at `step`; return the invariant violations found afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="faults-"))
    try:
        ws = folder / "ws"
        shutil.copytree(template, ws)
        done = cli(ws, *operation.args(ws), env={"PKIADMIN_FAULT_AT": str(step)})
        problems = []
        if done.returncode not in (-9, 0):
            problems.append(f"exit {done.returncode} instead of a kill: {done.stderr[-300:]}")
        if "Traceback" in done.stderr:
            problems.append(f"traceback: {done.stderr[-300:]}")
        return problems + check(ws)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check(ws: Path) -> list[str]:
    """The invariants, after the next open (which deals with leftovers)."""
    problems: list[str] = []
    verified = cli(ws, "audit", "verify")
    if verified.returncode != 0:
        problems.append(f"audit verify failed: {(verified.stdout + verified.stderr)[-300:]}")
    with sqlite3.connect(ws / "pkiadmin.db") as db:
        named = {
            r[0] for r in db.execute("SELECT key_ref FROM authorities WHERE key_backend = 'file'")
        }
        for key in (ws / "keys").glob("*.key.pem"):
            if key.name not in named:
                problems.append(f"orphan key file keys/{key.name}")
        for name in named:
            if not (ws / "keys" / name).is_file():
                problems.append(f"CA key file keys/{name} is missing")
        completed = {
            r[0] for r in db.execute("SELECT report_dir FROM ceremonies WHERE status = 'completed'")
        }
        reports = ws / "exports" / "ceremonies"
        for folder in reports.iterdir() if reports.is_dir() else []:
            if folder.name.startswith("."):
                problems.append(f"unfinished report folder left: {folder.name}")
            elif str(folder) not in completed:
                problems.append(
                    f"report {folder.name} published for a ceremony that did not complete"
                )
            elif cli(ws, "ceremony", "verify-report", str(folder)).returncode != 0:
                problems.append(f"report {folder.name} does not verify")
        for ca_id, count, distinct, top, last in db.execute(
            "SELECT a.id, count(c.id), count(DISTINCT c.number), max(c.number), a.crl_last_number"
            " FROM authorities a LEFT JOIN crls c ON c.ca_id = a.id GROUP BY a.id"
        ):
            if count != distinct or (top or 0) > last:
                problems.append(f"CRL numbers of CA {ca_id} reused or above the counter")
        # Every imported certificate is in a file an import's audit entry lists (a DER file's
        # SHA-256 is its certificate's), and each file listed is stored whole.
        if (ws / "der-in").is_dir():
            imported = {r[0] for r in db.execute("SELECT sha256 FROM certificates")}
            listed = {
                digest
                for (artefacts,) in db.execute(
                    "SELECT artefacts FROM audit_log WHERE operation = 'cert.import'"
                )
                for _, digest in json.loads(artefacts)
            }
            if imported != listed:
                problems.append(
                    f"{len(imported - listed)} certificates stored without an audit entry, "
                    f"{len(listed - imported)} files audited but not stored"
                )
    leftovers = [p.name for p in ws.rglob("*.tmp")] + [p.name for p in ws.rglob(".*.partial")]
    if leftovers:
        problems.append(f"temporary files left: {leftovers}")
    packages = ws / "exports" / "packages"
    with sqlite3.connect(ws / "pkiadmin.db") as db:
        recorded = {r[0] for r in db.execute("SELECT file FROM packages WHERE direction = 'sent'")}
    for package in packages.glob("*.tar.gpg") if packages.is_dir() else []:
        if str(package) not in recorded:
            problems.append(f"package {package.name} was written but is not recorded")
    return problems
