"""The lint helper (pkilint imported ahead of need in a forked process) says exactly what an
in-process lint says, and when it cannot answer, the lint runs here: it never weakens a check."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pkiadmin.core.x509 import lint, lint_ahead
from tests.core.x509.test_lint import ca_certificate

pytestmark = pytest.mark.skipif(threading.active_count() != 1, reason="forks only single-threaded")


def _server(issuer: x509.Certificate, issuer_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.org")]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


@pytest.fixture
def helper() -> Iterator[None]:
    lint_ahead.start(lint.prepared)
    assert lint_ahead.running()
    yield
    lint_ahead.stop()


def test_the_helper_reports_what_an_in_process_lint_reports(helper: None) -> None:
    ca, ca_key = ca_certificate()
    no_ski, _ = ca_certificate(with_ski=False)
    server = _server(ca, ca_key)
    calls: list[Callable[[], lint.LintReport]] = [
        lambda: lint.lint_certificate(no_ski),
        lambda: lint.lint_certificate(no_ski, {"pkix.certificate_skid_ca_missing": "reason"}),
        lambda: lint.lint_chain(ca, server),
        lambda: lint.lint_serverauth(server, "dv"),
    ]
    from_helper = [call() for call in calls]
    assert lint_ahead.running()  # it answered every one
    lint_ahead.stop()
    in_process = [call() for call in calls]
    assert from_helper == in_process
    blocking = {f.code for f in from_helper[0].blocking}
    assert "pkix.certificate_skid_ca_missing" in blocking  # a real finding came through the pipe
    assert [f.code for f in from_helper[1].findings if f.waived_because == "reason"] == [
        "pkix.certificate_skid_ca_missing"
    ]
    assert from_helper[3].findings  # the TLS BR lints found what a bare leaf lacks


def test_a_helper_that_died_leaves_the_lint_to_this_process(helper: None) -> None:
    no_ski, _ = ca_certificate(with_ski=False)
    helper_pid = lint_ahead._Current.helper.pid  # type: ignore[union-attr]
    os.kill(helper_pid, signal.SIGKILL)
    report = lint.lint_certificate(no_ski)
    assert "pkix.certificate_skid_ca_missing" in {f.code for f in report.blocking}
    assert not lint_ahead.running()


def test_an_answer_that_is_not_findings_is_not_believed() -> None:
    assert lint_ahead._decode(b'{"failed": true}') is None
    assert lint_ahead._decode(b'{"findings": []}') == ()
    with pytest.raises(ValueError, match="malformed"):
        lint_ahead._decode(b'{"findings": [["code", "0", "message", "path"]]}')


def test_a_lint_that_raises_in_the_helper_raises_here(helper: None) -> None:
    with pytest.raises(Exception) as in_helper:
        lint.rfc5280_findings(b"not a certificate")
    assert lint_ahead.findings("certificate", b"not a certificate") is None  # "failed"
    with pytest.raises(type(in_helper.value)):
        lint.RAW_LINTS["certificate"](b"not a certificate")


def test_signing_from_the_command_line_leaves_pkilint_out_of_the_command(tmp_path: Path) -> None:
    """`ca sign-csr` lints through the helper: pkilint is never imported by the command's own
    process, and no helper process outlives the command."""
    script = tmp_path / "sign.py"
    script.write_text(
        "import sys\n"
        "from pkiadmin.cli.main import cli\n"
        "from pkiadmin.core.x509 import lint_ahead\n"
        "try:\n"
        "    cli(['ca', 'sign-csr', '1', '1', '--yes', '--passphrase-env', 'PASS'],\n"
        "        prog_name='pkiadmin-cli')\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code, 'pkilint' in sys.modules, lint_ahead.running())\n"
    )
    workspace = tmp_path / "ws"
    _workspace_with_csr(workspace)
    env = {**os.environ, "PKIADMIN_WORKSPACE": str(workspace), "PASS": _PASSPHRASE}
    done = subprocess.run(
        [sys.executable, str(script)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Signed certificate" in done.stdout, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "exit 0 False False"


_PASSPHRASE = "helper test passphrase 2026!"


def _workspace_with_csr(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from pkiadmin.core.issuance import requests
    from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
    from pkiadmin.core.workspace import folder as workspace
    from pkiadmin.core.x509.names import SubjectSpec

    key = ec.generate_private_key(ec.SECP384R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Helper Issuing CA")]))
        .sign(key, hashes.SHA384())
    )
    with workspace.create(path) as ws:
        create_root_ca(ws, RootCaRequest(SubjectSpec("Helper Root", "Test")), _PASSPHRASE)
        requests.import_csr(ws, csr.public_bytes(serialization.Encoding.PEM), "ca.csr")


def test_the_helper_ends_when_its_command_is_killed() -> None:
    code = (
        "import os, signal\n"
        "from pkiadmin.core.x509 import lint, lint_ahead\n"
        "lint_ahead.start(lint.prepared)\n"
        "print(lint_ahead._Current.helper.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert killed.returncode == -9, killed.stderr
    helper_pid = int(killed.stdout.strip())
    deadline = time.monotonic() + 30
    while not _ended(helper_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ended(helper_pid)


def _ended(pid: int) -> bool:
    """Gone, or a zombie waiting for init to reap it."""
    try:
        return "State:\tZ" in Path(f"/proc/{pid}/status").read_text(errors="replace")
    except OSError:
        return True
