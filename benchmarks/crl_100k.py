"""`pkiadmin-cli crl issue` with 100,000 revoked entries, lint included, against `openssl ca
-gencrl` + `openssl crl` verify with the same key (the same encrypted PKCS#8 file, so the same
PBKDF2 cost) in the same run. The revocations are real: 100,000 certificates issued by the
issuing CA (SANs, key usage, EKU, CDP, AIA, key identifiers) are imported into the inventory and
revoked through `cert revoke --issued-by` (one mass revocation), not written with SQL.

Targets (#23): at most 5x the openssl reference, peak RSS at most 300 MB.

Run: make benchmark  (or .venv/bin/python benchmarks/crl_100k.py [ENTRIES]).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_hierarchy
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.inventory import importer
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.keys import files as keys

ENTRIES = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
TARGET_RATIO = 5.0
TARGET_RSS_MB = 300
PASSPHRASE = bench_hierarchy.PASSPHRASE
CLI = str(Path(sys.executable).with_name("pkiadmin-cli"))


def _issued(ca: x509.Certificate, key: keys.PrivateKey, count: int, first: int = 0) -> bytes:
    """`count` service certificates as the issuing CA signs them, one PEM bundle."""
    public = keys.generate(keys.KeyAlgorithm.EC_P256).public_key()
    now = datetime.now(UTC) - timedelta(hours=1)
    return b"".join(
        bench_hierarchy.service_certificate(
            ca, key, public, f"svc{i}.bench.example", now
        ).public_bytes(serialization.Encoding.PEM)
        for i in range(first, first + count)
    )


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and output of one child process."""
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed: {done.stdout}{done.stderr}")
    return elapsed, 0.0, done.stdout + done.stderr


def _measured(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """As _run, with the peak RSS from /usr/bin/time -v when it is there."""
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.exists():
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        elapsed, _, out = _run(args, cwd, env)
        return (
            elapsed,
            max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024,
            out,
        )
    elapsed, _, out = _run([str(gnu_time), "-v", *args], cwd, env)
    rss = next(
        (int(line.split(":")[1]) / 1024 for line in out.splitlines() if "Maximum resident" in line),
        0.0,
    )
    return elapsed, rss, out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ws, held = bench_hierarchy.issuing_ca(folder / "ws")
        ca = inventory.load_certificate(ws.db, held.issued.cert_id)
        key = keys.load_encrypted(held.key_path, PASSPHRASE)
        print(f"making {ENTRIES:,} issued certificates and importing them ...", flush=True)
        # In bundles of 10,000 (a single file is limited to 80 MiB until imports stream, #23).
        bundles = []
        for n, start in enumerate(range(0, ENTRIES, 10_000)):
            bundles.append(folder / f"issued-{n}.pem")
            bundles[-1].write_bytes(_issued(ca, key, min(10_000, ENTRIES - start), start))
        summary = importer.import_paths(ws, bundles)
        if summary.imported != ENTRIES:
            raise SystemExit(f"imported {summary.imported} of {ENTRIES}: {summary.refused[:3]}")
        ws.close()
        env = {**os.environ, "PKIADMIN_WORKSPACE": str(folder / "ws"), "P": PASSPHRASE}
        revoke_s, _, said = _run(
            [
                CLI,
                "cert",
                "revoke",
                "--issued-by",
                str(held.ca_id),
                "--reason",
                "keyCompromise",
                "--yes",
            ],
            folder,
            env,
        )
        print(said.strip().splitlines()[-1][:160])
        crl_s, crl_rss, said = _measured(
            [
                CLI,
                "crl",
                "issue",
                str(held.ca_id),
                "--passphrase-env",
                "P",
                "--no-ocsp",
                "--export",
                str(folder / "crls"),
            ],
            folder,
            env,
        )

        # The reference: openssl ca -gencrl over an index.txt with the same entries, the same
        # encrypted key file, then openssl crl verifying the result.
        ref = folder / "openssl"
        ref.mkdir()
        (ref / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        (ref / "ca.key").write_bytes(held.key_path.read_bytes())
        stamp = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%y%m%d%H%M%SZ")
        expiry = (datetime.now(UTC) + timedelta(days=90)).strftime("%y%m%d%H%M%SZ")
        serials = [
            c.serial_number
            for b in bundles
            for c in x509.load_pem_x509_certificates(b.read_bytes())
        ]
        (ref / "index.txt").write_text(
            "".join(
                f"R\t{expiry}\t{stamp},keyCompromise\t{inventory.serial_hex(s)}\tunknown\t/CN=svc{i}.bench.example\n"
                for i, s in enumerate(serials)
            )
        )
        (ref / "crlnumber").write_text("01\n")
        (ref / "openssl.cnf").write_text(
            "[ca]\ndefault_ca = bench\n[bench]\ndatabase = index.txt\ncrlnumber = crlnumber\n"
            "certificate = ca.pem\nprivate_key = ca.key\ndefault_md = sha384\ndefault_crl_days = 7\n"
            "crl_extensions = crl_ext\n[crl_ext]\nauthorityKeyIdentifier = keyid:always\n"
        )
        gen_s, gen_rss, _ = _measured(
            [
                "openssl",
                "ca",
                "-config",
                "openssl.cnf",
                "-gencrl",
                "-out",
                "crl.pem",
                "-batch",
                "-passin",
                "env:P",
            ],
            ref,
            env,
        )
        ver_s, ver_rss, said = _measured(
            ["openssl", "crl", "-in", "crl.pem", "-CAfile", "ca.pem", "-noout"], ref, env
        )
        if "verify OK" not in said:
            raise SystemExit("openssl's reference CRL does not verify")
        ref_s = gen_s + ver_s
    ratio = crl_s / ref_s
    print(f"CRL with {ENTRIES:,} revoked entries, issuing CA key EC P-384 (this machine)")
    print(f"{'what':66} {'seconds':>8} {'peak MB':>8}")
    print(f"{'cert revoke --issued-by (one mass revocation)':66} {revoke_s:8.2f}")
    print(
        f"{'pkiadmin-cli crl issue --no-ocsp (lint, sign, verify, store, export)':66} "
        f"{crl_s:8.2f} {crl_rss:8.0f}"
    )
    print(
        f"{'reference: openssl ca -gencrl + openssl crl verify, same key file':66} "
        f"{ref_s:8.2f} {max(gen_rss, ver_rss):8.0f}"
    )
    met = ratio <= TARGET_RATIO and crl_rss <= TARGET_RSS_MB
    print(
        f"pkiadmin {'meets' if met else 'MISSES'} the targets: {ratio:.2f}x the reference "
        f"(target {TARGET_RATIO:.0f}x), peak {crl_rss:.0f} MB (target {TARGET_RSS_MB} MB)"
    )


if __name__ == "__main__":
    main()
