"""NIST PKITS through pkiadmin's partner validation and through `openssl verify -crl_check_all
-policy_check` on the same certificates and CRLs, side by side per PKITS section: correct
verdicts and false accepts (a certificate the test plan says is invalid, accepted)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pkits

# RFC 5280's default inputs: any policy acceptable; delta CRLs used where they are given.
OPENSSL_OPTIONS = ("-crl_check_all", "-policy_check", "-policy", "2.5.29.32.0", "-use_deltas")


def _pem_cert(der: bytes) -> bytes:
    try:
        return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
    except ValueError:  # DSA with inherited parameters: cryptography cannot read it; openssl can
        return subprocess.run(
            ["openssl", "x509", "-inform", "DER"], input=der, capture_output=True, check=True
        ).stdout


def run_openssl(c: pkits.Case, folder: Path) -> pkits.Outcome:
    anchor = folder / "anchor.pem"
    anchor.write_bytes(_pem_cert(pkits.anchor()[1]))
    untrusted = folder / "untrusted.pem"
    untrusted.write_bytes(b"".join(_pem_cert(d) for _, d in c.certificates) or b"")
    crls = folder / "crls.pem"
    crls.write_bytes(
        b"".join(
            x509.load_der_x509_crl(d).public_bytes(serialization.Encoding.PEM) for _, d in c.crls
        )
    )
    target = folder / "target.pem"
    target.write_bytes(_pem_cert(c.target[1]))
    args = ["openssl", "verify", *OPENSSL_OPTIONS, "-attime", str(int(pkits.AT.timestamp()))]
    args += ["-CAfile", str(anchor), "-CRLfile", str(crls)]
    if c.certificates:
        args += ["-untrusted", str(untrusted)]
    done = subprocess.run([*args, str(target)], capture_output=True, text=True, check=False)
    errors = [
        line for line in (done.stdout + done.stderr).splitlines() if line.startswith("error ")
    ]
    return pkits.Outcome(
        c, done.returncode == 0, errors[0] if errors else done.stderr.strip()[:160]
    )


def main() -> None:
    warnings.simplefilter("ignore")
    cases = pkits.cases()
    started = time.perf_counter()
    ours = [pkits.run_pkiadmin(c) for c in cases]
    ours_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        theirs = [run_openssl(c, Path(tmp)) for c in cases]
        theirs_s = time.perf_counter() - started
    version = subprocess.run(
        ["openssl", "version"], check=False, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"NIST PKITS, {len(cases)} tests whose name gives the verdict; validation time {pkits.AT:%Y-%m-%d}"
    )
    print(f"pkiadmin: partner_validation.validate; {version}: verify {' '.join(OPENSSL_OPTIONS)}\n")
    print(pkits.table({"pkiadmin": ours, "openssl": theirs}))
    print(f"\ntime: pkiadmin {ours_s:.1f} s, openssl {theirs_s:.1f} s (one process per test)")
    for label, outcomes in (("pkiadmin", ours), ("openssl", theirs)):
        for o in outcomes:
            if not o.correct:
                print(
                    f"{label} wrong on {o.case.name}: {'accepted' if o.accepted else o.finding[:150]}"
                )


if __name__ == "__main__":
    main()
