"""Batch signing: 1,000 service CSRs signed under the tls-server profile by an issuing CA held
here (`ca sign-batch`'s code path: plan, one unlock, then each certificate checked, stored and
audited on its own). The reference, measured in the same run: a plain `cryptography` loop that
builds the same certificate, signs it with the same key and stores it in SQLite, one commit each.
Target: pkiadmin at most 2x the reference with pkilint's time left out; pkilint's time is
reported on its own line.

Run: make benchmark  (or .venv/bin/python benchmarks/batch_sign.py [COUNT]).
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_hierarchy
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pkiadmin.core.inventory import records
from pkiadmin.core.issuance import authorities, batch, profiles
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.x509 import lint

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
TARGET_RATIO = 2.0
ROUNDS = 3
PASSPHRASE = bench_hierarchy.PASSPHRASE


@contextlib.contextmanager
def pkilint_left_out() -> Iterator[None]:
    """pkilint's entry points replaced by a clean report for one run: what is left is pkiadmin's
    own work (profile checks, the throw-away-key copy, signing, the post-sign verification,
    inventory, audit). Signing runs in worker threads, so pkilint's share is measured as the
    difference between a run with it and one without, not by timing its calls."""
    saved = lint.lint_certificate, lint.lint_chain, lint.lint_serverauth

    def clean(*_args: object, **_kwargs: object) -> lint.LintReport:
        return lint.LintReport("left out for the benchmark", ())

    lint.lint_certificate = lint.lint_chain = lint.lint_serverauth = clean
    try:
        yield
    finally:
        lint.lint_certificate, lint.lint_chain, lint.lint_serverauth = saved


def make_csrs(folder: Path) -> None:
    folder.mkdir()
    for n in range(COUNT):
        key = ec.generate_private_key(ec.SECP256R1())
        name = f"svc{n:04d}.example.com"
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256())
        )
        data = csr.public_bytes(serialization.Encoding.PEM)
        (folder / f"{name}.csr").write_bytes(data)


def reference(csr_folder: Path, issuer: x509.Certificate, key: ec.EllipticCurvePrivateKey,
              db_path: Path) -> float:  # fmt: skip
    """The same certificates with cryptography alone, each stored and committed in SQLite: each
    CSR read from the same folder and its self-signature checked (what `openssl x509 -req` does
    before it signs), the certificate built, signed and committed."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE certs (id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE, der BLOB)")
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    start = time.perf_counter()
    for path in sorted(csr_folder.iterdir()):
        csr = x509.load_pem_x509_csr(path.read_bytes())
        if not csr.is_signature_valid:
            raise SystemExit(f"{path.name}: the CSR's signature does not verify")
        now = datetime.now(UTC)
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        cert = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(issuer.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), False)
            .add_extension(sans, critical=False)
            .sign(key, hashes.SHA384())
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        with conn:
            conn.execute(
                "INSERT INTO certs (sha256, der) VALUES (?, ?)",
                (cert.fingerprint(hashes.SHA256()).hex(), der),
            )
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def issuing_ca(folder: Path) -> tuple[workspace.Workspace, int]:
    ws, held = bench_hierarchy.issuing_ca(folder)
    return ws, held.ca_id


def pkiadmin_batch(folder: Path, csr_folder: Path) -> float:
    """`ca sign-batch`'s code path in a workspace of its own, timed from the plan to the last
    certificate stored."""
    ws, ca_id = issuing_ca(folder)
    try:
        start = time.perf_counter()
        plan = batch.plan_folder(ws, ca_id, csr_folder, profiles.get(ws.db, "tls-server"))
        result = batch.sign(ws, plan, PASSPHRASE)
        elapsed = time.perf_counter() - start
    finally:
        ws.close()
    if len(result.issued) != COUNT or result.failed:
        raise SystemExit(f"not every certificate was signed: {result.failed[:3]}")
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_csrs(folder / "csrs")
        ws, ca_id = issuing_ca(folder / "reference-ws")
        authority = authorities.get_authority(ws.db, ca_id)
        issuer_cert = records.load_certificate(ws.db, authority.cert_id)
        issuer_key = authorities.unlock_key(ws, authority, PASSPHRASE, None)
        ws.close()
        if not isinstance(issuer_key, ec.EllipticCurvePrivateKey):
            raise SystemExit("the benchmark's issuing CA has an EC key")
        # The machine is shared and noisy: the two are run in turns, ROUNDS times each, each
        # time into a fresh database, and the best of each is compared.
        plain_runs, without_runs = [], []
        for n in range(ROUNDS):
            plain_runs.append(
                reference(folder / "csrs", issuer_cert, issuer_key, folder / f"reference-{n}.db")
            )
            with pkilint_left_out():
                without_runs.append(pkiadmin_batch(folder / f"ws-without-{n}", folder / "csrs"))
        plain, without_lint = min(plain_runs), min(without_runs)
        total = pkiadmin_batch(folder / "ws", folder / "csrs")
    linting = total - without_lint
    ratio = without_lint / plain
    print(
        f"batch signing, {COUNT} CSRs under tls-server (EC P-256 keys, issuing CA EC P-384);"
        f" best of {ROUNDS} runs in turns"
    )
    print(f"{'what':58} {'seconds':>8} {'certs/s':>9}")
    print(
        f"{'plain cryptography sign + SQLite commit loop (reference)':58} {plain:8.2f} {COUNT / plain:9.0f}"
    )
    print(
        f"{'pkiadmin batch, pkilint left out':58} {without_lint:8.2f} {COUNT / without_lint:9.0f}"
    )
    print(f"{'pkilint (4 lints a certificate; the difference)':58} {linting:8.2f}")
    print(f"{'pkiadmin batch, all of it':58} {total:8.2f} {COUNT / total:9.0f}")
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(
        f"pkiadmin {verdict} the target: {ratio:.2f}x the reference without pkilint (target {TARGET_RATIO}x)"
    )


if __name__ == "__main__":
    main()
