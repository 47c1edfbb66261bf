"""`pkiadmin-cli ca sign-csr --yes`: a root held here (EC P-384, its key file encrypted under a
passphrase) signs an issuing CA's CSR, next to `openssl x509 -req` signing the same CSR with
the same key file and the same CA extensions, run in turns in the same run. Both pay the key
file's PBKDF2 cost; pkiadmin also lints before and after signing, checks the TBS equality,
stores the certificate and audits it. Target (#23): at most 2x the openssl reference.

Run: make benchmark  (or .venv/bin/python benchmarks/sign_csr.py [RUNS]).
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

import bytecode
from cli_startup import time_command
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiadmin.core.inventory import records
from pkiadmin.core.issuance import requests
from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.x509.names import SubjectSpec

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 11
TARGET_RATIO = 2.0
PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throw-away workspace
CLI = str(Path(sys.executable).with_name("pkiadmin-cli"))
# What `ca sign-csr --profile issuing` puts in the certificate, for openssl to add as well.
EXTENSIONS = """basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _csr(key: ec.EllipticCurvePrivateKey, n: int) -> bytes:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bench"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Bench Issuing CA {n}"),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA384())
    return csr.public_bytes(serialization.Encoding.PEM)


def main() -> None:
    bytecode.ensure()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        key = ec.generate_private_key(ec.SECP384R1())
        with workspace.create(folder / "ws") as ws:
            root = create_root_ca(
                ws, RootCaRequest(SubjectSpec("Bench Root", "Bench", country="GB")), PASSPHRASE
            )
            root_cert = records.load_certificate(ws.db, root.record.id)
            csr_ids = [requests.import_csr(ws, _csr(key, n), f"ca{n}.csr")[0].id
                       for n in range(RUNS + 1)]  # fmt: skip
        root_pem = folder / "root.pem"
        root_pem.write_bytes(root_cert.public_bytes(serialization.Encoding.PEM))
        csr_file = folder / "ca.csr"
        csr_file.write_bytes(_csr(key, 0))
        ext_file = folder / "ext.cnf"
        ext_file.write_text(EXTENSIONS)
        env = {**os.environ, "PKIADMIN_WORKSPACE": str(folder / "ws"), "BENCH_PASS": PASSPHRASE}

        def pkiadmin(csr_id: int) -> list[str]:
            return [CLI, "ca", "sign-csr", str(root.ca_id), str(csr_id), "--yes",
                    "--passphrase-env", "BENCH_PASS"]  # fmt: skip

        def openssl() -> list[str]:
            return ["openssl", "x509", "-req", "-in", str(csr_file), "-CA", str(root_pem),
                    "-CAkey", str(root.key_path), "-passin", "env:BENCH_PASS", "-sha384",
                    "-days", "3650", "-extfile", str(ext_file),
                    "-set_serial", f"0x{secrets.token_hex(16)}", "-out", str(folder / "o.pem")]  # fmt: skip

        time_command(pkiadmin(csr_ids[0]), env)  # warm the page cache and the .pyc files
        time_command(openssl(), env)
        ours: list[float] = []
        theirs: list[float] = []
        for csr_id in csr_ids[1:]:
            theirs.append(time_command(openssl(), env))
            ours.append(time_command(pkiadmin(csr_id), env))
    reference = statistics.median(theirs)
    median = statistics.median(ours)
    print(f"ca sign-csr, EC P-384 root key file (PBKDF2), {RUNS} runs each in turns")
    print(f"{'what':52} {'median':>8} {'min':>8} {'ratio':>6}")
    print(f"{'openssl x509 -req, same key file and extensions':52} {reference:7.3f}s "
          f"{min(theirs):7.3f}s {1.0:5.1f}x")  # fmt: skip
    print(f"{'pkiadmin-cli ca sign-csr --yes (lint, sign, store)':52} {median:7.3f}s "
          f"{min(ours):7.3f}s {median / reference:5.1f}x")  # fmt: skip
    ratio = median / reference
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(
        f"pkiadmin {verdict} the target: {ratio:.1f}x openssl x509 -req (target {TARGET_RATIO:.0f}x)"
    )


if __name__ == "__main__":
    main()
