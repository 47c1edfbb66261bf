"""Partners and trust packages from the command line, with a partner using plain gpg and tar."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from pkiadmin.cli.main import cli
from pkiadmin.core import partners, workspace
from tests.conftest import PASSPHRASE
from tests.package_helpers import (
    gpg,
    kill_agent,
    make_key,
    new_home,
    partner_package_bytes,
    standard_files,
)

OFFICER = "officer passphrase for tests"


def run(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], env={"OP": OFFICER, "P": PASSPHRASE}
    )


def test_partner_onboarding_both_ways(root_ws_path: Path, tmp_path: Path) -> None:
    home = new_home()
    try:
        partner_fpr = make_key(home, "Pat Partner <pat@partner.example>")
        key_file = tmp_path / "pat.asc"
        key_file.write_bytes(gpg(home, "--armor", "--export", partner_fpr).stdout)
        ws = root_ws_path
        made = run(ws, "partner", "officer-key", "--generate", "Olivia Officer", "olivia@example.com",
                   "--passphrase-env", "OP", "--export", str(tmp_path / "ours.asc"))  # fmt: skip
        assert made.exit_code == 0, made.output
        assert "Officer key:" in made.output and "PGP words:" in made.output
        added = run(ws, "partner", "add", "pat", "--organisation", "Partner SA",
                    "--contact", "Pat Partner|security officer|+33 1 23 45 67 89|signed contract, annex 2")  # fmt: skip
        assert added.exit_code == 0, added.output
        wrong = run(ws, "partner", "import-key", "pat", str(key_file), "--fingerprint", "A" * 40)
        assert wrong.exit_code == 1 and "not the one given; it was not assigned" in wrong.output
        imported = run(
            ws, "partner", "import-key", "pat", str(key_file), "--fingerprint", partner_fpr
        )
        assert imported.exit_code == 0 and "unverified" in imported.output

        assert run(ws, "crl", "issue", "1", "--passphrase-env", "P").exit_code == 0
        built = run(
            ws,
            "package",
            "build",
            "pat",
            "--out-dir",
            str(tmp_path / "out"),
            "--passphrase-env",
            "OP",
        )
        assert built.exit_code == 0, built.output
        package = next((tmp_path / "out").glob("*.tar.gpg"))
        assert gpg(home, "--import", str(tmp_path / "ours.asc")).returncode == 0
        opened_by_partner = gpg(home, "--decrypt", str(package))
        assert opened_by_partner.returncode == 0 and b"Good signature" in opened_by_partner.stderr
        inspected = run(ws, "package", "inspect", str(package))
        assert "encrypted to key id" in inspected.output

        with workspace.open_workspace(ws) as opened_ws:
            officer = partners.officer_fingerprint(opened_ws.db)
        assert officer is not None
        files = standard_files()
        theirs = tmp_path / "theirs.tar.gpg"
        theirs.write_bytes(partner_package_bytes(home, partner_fpr, officer, files))
        accepted = run(ws, "package", "open", "pat", str(theirs), "--passphrase-env", "OP")
        assert accepted.exit_code == 0, accepted.output
        assert "ACCEPTED: every check passed" in accepted.output
        assert "CA CN=Partner Root,O=Partner SA,C=FR:" in accepted.output
        theirs.write_bytes(partner_package_bytes(home, partner_fpr, officer, files, signed=False))
        rejected = run(ws, "package", "open", "pat", str(theirs), "--passphrase-env", "OP")
        assert (
            rejected.exit_code == 1
            and "REJECTED: The package has no valid signature" in rejected.output
        )
        shown = run(ws, "partner", "show", "pat")
        assert "sent" in shown.output and "accepted" in shown.output and "rejected" in shown.output
        assert "number from signed contract, annex 2" in shown.output
        listed = run(ws, "partner", "list")
        assert "Partner SA" in listed.output and "unverified" in listed.output
    finally:
        kill_agent(home)
        shutil.rmtree(home, ignore_errors=True)
