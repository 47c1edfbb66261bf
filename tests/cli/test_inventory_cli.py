"""The inventory commands: list with filters and sort, export-list, set, compliance, index-txt."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from pkiadmin.cli.main import cli
from pkiadmin.core.workspace import folder as workspace
from tests.inventory_helpers import dated


def test_inventory_commands(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    now = datetime.now(UTC)
    with workspace.create(path) as ws:
        ids = dated(ws, tmp_path / "in", now)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, ["--workspace", str(path), *args])
        return result.exit_code, result.output

    code, out = run(
        "cert",
        "list",
        "--filter",
        "expires-within=7",
        "--sort",
        "not-after",
        "--ascending",
        "--json",
    )
    assert code == 0
    assert [r["common_name"] for r in json.loads(out)] == [
        "half-day.example", "two-days.example", "five-days.example",
    ]  # fmt: skip
    code, out = run("cert", "list", "--filter", "finding=nonsense")
    assert code == 1 and "Unknown compliance finding 'nonsense'" in out
    code, out = run(
        "cert", "set", str(ids["ten-days"]), "--environment", "production", "--tags", "web, pci"
    )
    assert code == 0 and "environment 'production'" in out
    code, out = run(
        "cert",
        "export-list",
        "--filter",
        "environment=production",
        "--format",
        "csv",
        "--out",
        str(tmp_path / "prod.csv"),
    )
    assert code == 0 and "Wrote 1 certificate(s)" in out
    rows = list(csv.DictReader((tmp_path / "prod.csv").read_text().splitlines()))
    assert [(r["common_name"], r["tags"]) for r in rows] == [("ten-days.example", "web pci")]
    code, out = run("compliance", "summary")
    assert code == 1 and "no-eku" in out
    code, out = run("compliance", "policy", "--max-end-entity-days", "100")
    assert code == 0 and "max-end-entity-days      100" in out
    code, out = run("compliance", "report", "--format", "pdf", "--out", str(tmp_path / "r.pdf"))
    assert code == 0 and "of 8 certificate(s) have findings" in out
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    code, out = run("ca", "index-txt", "1", "--out", str(tmp_path / "index.txt"))
    assert (
        code == 1 and "There is no CA with id 1" in out
    )  # nothing here was issued by a CA held here
    assert not (tmp_path / "index.txt").exists()
