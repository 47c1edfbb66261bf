"""Build the offline installation bundle: wheels, hash-pinned requirements, installer, manifest.

Run on a connected machine with `make bundle` (the wheelhouse is fetched by the set-up step);
the bundle itself is then carried to the air-gapped machine. This script never reaches a
registry: it takes the wheels from --wheelhouse and checks each against requirements/app.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pkiadmin import __version__  # noqa: E402


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pinned_hashes(requirements: Path) -> set[str]:
    return set(re.findall(r"--hash=sha256:([0-9a-f]{64})", requirements.read_text()))


def build(wheelhouse: Path, out: Path, with_debs: bool = False) -> Path:
    name = f"pkiadmin-bundle-{__version__}"
    bundle = out / name
    if bundle.exists():
        raise SystemExit(f"{bundle} already exists; remove it first (a bundle is never overwritten).")
    wheels = bundle / "wheels"
    wheels.mkdir(parents=True)
    requirements = ROOT / "requirements" / "app.txt"
    allowed = pinned_hashes(requirements)
    copied = 0
    for wheel in sorted(wheelhouse.glob("*.whl")):
        if sha256(wheel) not in allowed:
            raise SystemExit(f"{wheel.name} is not one of the hash-pinned files in {requirements}; refusing to bundle it.")
        shutil.copy2(wheel, wheels / wheel.name)
        copied += 1
    if copied == 0:
        raise SystemExit(f"No wheels in {wheelhouse}; run the set-up step (make test or make wheelhouse) first.")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "-w", tmp, str(ROOT)],
            check=True,
        )
        (own,) = Path(tmp).glob("pkiadmin-*.whl")
        shutil.copy2(own, wheels / own.name)
    own_wheel = wheels / own.name
    (bundle / "requirements.txt").write_text(
        requirements.read_text()
        + f"pkiadmin=={__version__} \\\n    --hash=sha256:{sha256(own_wheel)}\n    # this bundle's own wheel\n"
    )
    packaging = ROOT / "packaging"
    shutil.copy2(packaging / "install.sh", bundle / "install.sh")
    shutil.copy2(packaging / "README-OPERATOR.txt", bundle / "README.txt")
    shutil.copy2(packaging / "system-packages.txt", bundle / "debian-packages.txt")
    shutil.copy2(ROOT / "resources" / "pkiadmin.desktop", bundle / "pkiadmin.desktop")
    shutil.copy2(ROOT / "resources" / "pkiadmin.svg", bundle / "pkiadmin.svg")
    if with_debs:
        debs = bundle / "debs"
        debs.mkdir()
        names = [line for line in (packaging / "system-packages.txt").read_text().splitlines() if line and not line.startswith("#")]
        subprocess.run(["apt-get", "download", *names], cwd=debs, check=True)  # noqa: S607 - Debian's own tool
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    manifest = "".join(f"{sha256(p)}  {p.relative_to(bundle).as_posix()}\n" for p in files)
    (bundle / "SHA256SUMS").write_text(manifest)
    archive = out / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname=name)
    print(f"Bundle: {bundle}")
    print(f"Archive: {archive}")
    print(f"Archive SHA-256 (write it down, check it on the air-gapped side): {sha256(archive)}")
    return bundle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheelhouse", type=Path, default=ROOT / "build" / "wheelhouse")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--with-debs", action="store_true", help="also fetch the Debian packages' .deb files (apt-get download)")
    args = parser.parse_args()
    build(args.wheelhouse, args.out, args.with_debs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
