"""Partners and trust packages from the command line, with a partner using plain gpg and tar."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from pkiadmin.cli.main import cli
from pkiadmin.core.exchange import partners
from pkiadmin.core.workspace import folder as workspace
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


def verify_by_phone(ws: Path, tmp_path: Path) -> None:
    """They read, we type: a typo is pointed out and typed again; then every value matches."""
    from pkiadmin.core.base import fingerprint
    from pkiadmin.core.exchange import call_records as calls

    with workspace.open_workspace(ws) as opened_ws:
        values = calls.values_for(opened_ws, "pat")
    spoken = [" ".join(fingerprint.pgp_words(v.data)) for v in values]
    typo = spoken[0].replace(spoken[0].split()[0], spoken[0].split()[0] + "x", 1)
    answers = "\n".join([typo, *spoken]) + "\n"
    args = ["partner", "verify", "pat", "--direction", "they-read", "--our-officer", "Olivia",
            "--their-officer", "Pat", "--phone", "+33 1 23 45 67 89", "--phone-source", "contract",
            "--passphrase-env", "OP"]  # fmt: skip
    sheet = run(ws, "partner", "sheet", "pat", "--out", str(tmp_path / "sheet.pdf"))
    assert sheet.exit_code == 0, sheet.output
    pdf = (tmp_path / "sheet.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"/Subtype /Image" in pdf  # the QR code
    refused = run(ws, "trust", "export", "--out", str(tmp_path / "early.pem"))
    assert refused.exit_code == 1 and "No partner CA certificate is trusted now" in refused.output
    done = CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], input=answers, env={"OP": OFFICER}
    )
    assert done.exit_code == 0, done.output
    assert "is not a PGP word; check the spelling" in done.output
    assert "Pair code (both sides compute the same):" in done.output
    assert "recorded: VERIFIED" in done.output
    exported = run(ws, "trust", "export", "--out", str(tmp_path / "partners.pem"))
    assert exported.exit_code == 0 and "with 2 certificate(s)" in exported.output
    assert "verified" in run(ws, "partner", "list").output


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
        assert rejected.exit_code == 1 and "REJECTED: The package is not signed" in rejected.output
        shown = run(ws, "partner", "show", "pat")
        assert "sent" in shown.output and "accepted" in shown.output and "rejected" in shown.output
        assert "number from signed contract, annex 2" in shown.output
        listed = run(ws, "partner", "list")
        assert "Partner SA" in listed.output and "unverified" in listed.output
        verify_by_phone(ws, tmp_path)
    finally:
        kill_agent(home)
        shutil.rmtree(home, ignore_errors=True)


def test_partner_validate_names_a_revoked_ca(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pkiadmin.cli.main import cli
    from tests import pkits

    data = pkits.PKITS
    files = [
        data / "certs" / "TrustAnchorRootCertificate.crt",
        data / "certs" / "GoodCACert.crt",
        data / "certs" / "RevokedsubCACert.crt",
        data / "crls" / "TrustAnchorRootCRL.crl",
        data / "crls" / "GoodCACRL.crl",
    ]
    shown = CliRunner().invoke(
        cli, ["partner", "validate", "--at", "2020-01-01", "--json", *map(str, files)]
    )
    assert shown.exit_code == 1, shown.output
    verdicts = {Path(v["file"]).name: v for v in json.loads(shown.output)["certificates"]}
    assert verdicts["TrustAnchorRootCertificate.crt"]["anchor"]
    assert verdicts["GoodCACert.crt"]["accepted"]
    assert not verdicts["RevokedsubCACert.crt"]["accepted"]
    assert "revoked" in verdicts["RevokedsubCACert.crt"]["findings"][0]
    garbage = tmp_path / "junk.crt"
    garbage.write_bytes(b"\x30\x03\x02\x01")
    bad = CliRunner().invoke(cli, ["partner", "validate", str(files[0]), str(garbage)])
    assert bad.exit_code == 1 and "cannot be read as a certificate" in bad.output
    assert "Traceback" not in bad.output
