"""`cert import` from the command line: the summary and every refused file with its reason."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from pkiadmin.cli.main import cli
from tests.package_helpers import partner_ca


def test_import_a_folder(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["--workspace", str(ws), "workspace", "init"]).exit_code == 0
    ca = partner_ca()
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / "chain.pem").write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (ca.root, ca.issuing))
    )
    (folder / "notes.txt").write_text("not a certificate")
    done = runner.invoke(cli, ["--workspace", str(ws), "cert", "import", str(folder)])
    assert done.exit_code == 1
    assert (
        "2 file(s): 2 certificate(s) imported, 0 already in the inventory, 1 file(s) refused."
        in done.output
    )
    assert "notes.txt: not a certificate file pkiadmin can read" in done.output
    again = runner.invoke(
        cli, ["--workspace", str(ws), "cert", "import", str(folder / "chain.pem"), "--json"]
    )
    assert again.exit_code == 0 and json.loads(again.output)["duplicates"] == 2
    listed = json.loads(
        runner.invoke(cli, ["--workspace", str(ws), "cert", "list", "--json"]).output
    )
    assert {r["source"] for r in listed} == {"imported"}
