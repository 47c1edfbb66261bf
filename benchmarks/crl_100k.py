"""A CRL with 100,000 entries for an issuing CA held here: build, sign, verify (target <= 3 s), the
pkilint time reported separately, and `openssl ca -gencrl` doing the same work as the reference.

Run: make benchmark  (or .venv/bin/python benchmarks/crl_100k.py).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_hierarchy
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation.records import Revocation
from pkiadmin.core.x509 import lint

ENTRIES = 100_000
TARGET_S = 3.0
PASSPHRASE = bench_hierarchy.PASSPHRASE


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ws, held = bench_hierarchy.issuing_ca(folder / "ws")
        authority_key = keys.load_encrypted(held.key_path, PASSPHRASE)
        now = datetime.now(UTC).replace(microsecond=0)
        revoked_at = now - timedelta(days=1)
        entries = tuple(
            Revocation(i, i, held.ca_id, f"{0x1000000000000000 + i:X}", "", revoked_at,
                       "keyCompromise" if i % 2 else "superseded", None, "", revoked_at, None)
            for i in range(ENTRIES)
        )  # fmt: skip
        draft = crl.CrlDraft(
            held.ca_id, "Bench Issuing CA", now, now + timedelta(days=7), entries, False, ()
        )
        issuer_cert = inventory.load_certificate(ws.db, held.issued.cert_id)

        start = time.perf_counter()
        builder = crl.builder(ws, draft, 1)
        built = time.perf_counter()
        signed = FileSigner(authority_key, "bench").sign_crl(builder)
        signed_at = time.perf_counter()
        if not signed.is_signature_valid(issuer_cert.public_key()):  # type: ignore[arg-type]
            raise SystemExit("the CRL's signature does not verify")
        verified = time.perf_counter()
        report = lint.lint_crl(signed, False)
        linted = time.perf_counter()
        total = verified - start

        # The reference: openssl ca -gencrl over an index.txt with the same number of revoked entries.
        ca_dir = folder / "openssl"
        ca_dir.mkdir()
        (ca_dir / "ca.pem").write_bytes(issuer_cert.public_bytes(serialization.Encoding.PEM))
        (ca_dir / "ca.key").write_bytes(
            authority_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        )  # fmt: skip
        stamp = revoked_at.strftime("%y%m%d%H%M%SZ")
        expiry = (now + timedelta(days=365)).strftime("%y%m%d%H%M%SZ")
        (ca_dir / "index.txt").write_text(
            "".join(
                f"R\t{expiry}\t{stamp},keyCompromise\t{0x1000000000000000 + i:X}\tunknown\t/CN=x{i}\n"
                for i in range(ENTRIES)
            )
        )
        (ca_dir / "crlnumber").write_text("01\n")
        (ca_dir / "openssl.cnf").write_text(
            "[ca]\ndefault_ca = bench\n[bench]\ndatabase = index.txt\ncrlnumber = crlnumber\n"
            "certificate = ca.pem\nprivate_key = ca.key\ndefault_md = sha384\ndefault_crl_days = 7\n"
            "crl_extensions = crl_ext\n[crl_ext]\nauthorityKeyIdentifier = keyid:always\n"
        )
        ref_start = time.perf_counter()
        subprocess.run(
            ["openssl", "ca", "-config", "openssl.cnf", "-gencrl", "-out", "crl.pem", "-batch"],
            cwd=ca_dir, check=True, capture_output=True,
        )  # fmt: skip
        check = subprocess.run(
            ["openssl", "crl", "-in", "crl.pem", "-CAfile", "ca.pem", "-noout"],
            cwd=ca_dir, capture_output=True, text=True, check=True,
        )  # fmt: skip
        ref_total = time.perf_counter() - ref_start
        if "verify OK" not in check.stdout + check.stderr:
            raise SystemExit("openssl's reference CRL does not verify")
        ws.close()

    print(f"CRL with {ENTRIES:,} entries, issuing CA key EC P-384 (this machine)")
    print(f"  pkiadmin build:   {built - start:6.2f} s")
    print(f"  pkiadmin sign:    {signed_at - built:6.2f} s")
    print(f"  pkiadmin verify:  {verified - signed_at:6.2f} s")
    print(
        f"  pkiadmin total:   {total:6.2f} s  (target <= {TARGET_S:.1f} s: {'met' if total <= TARGET_S else 'NOT met'})"
    )
    print(
        f"  pkilint (PKIX):   {linted - verified:6.2f} s  ({len(report.findings)} findings), reported separately"
    )
    print(f"  reference, openssl ca -gencrl + openssl crl verify: {ref_total:6.2f} s")


if __name__ == "__main__":
    main()
