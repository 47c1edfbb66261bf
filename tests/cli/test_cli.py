"""The command line: every command of the foundation, with the messages a person sees."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pkiadmin.cli.main import cli
from pkiadmin.core.workspace import schema
from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]


def run(
    ws: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> Result:
    return CliRunner().invoke(
        cli, ["--workspace", str(ws), *args], input=input, env=env, catch_exceptions=False
    )


def create_root(ws: Path, *extra: str) -> Result:
    return run(
        ws,
        "ca",
        "create-root",
        "--cn",
        "CLI Root",
        "--org",
        "Example",
        "--country",
        "DE",
        "--passphrase-env",
        "PKI_PASS",
        *extra,
        env={"PKI_PASS": PASSPHRASE},
    )


def test_init_then_create_root_list_show(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert run(ws, "workspace", "init").output == f"Created workspace {ws}\n"
    assert "already a pkiadmin workspace" in run(ws, "workspace", "init").output
    result = create_root(ws)
    assert result.exit_code == 0, result.output
    assert "Created root CA 1: CN=CLI Root,O=Example,C=DE" in result.output
    assert re.search(r"SHA-256: +([0-9A-F]{4} ){15}[0-9A-F]{4}", result.output)
    listing = run(ws, "cert", "list")
    assert "CN=CLI Root,O=Example,C=DE" in listing.output and "EC P-384" in listing.output
    records = json.loads(run(ws, "cert", "list", "--json").output)
    assert records[0]["is_ca"] is True and records[0]["source"] == "issued"
    shown = run(ws, "cert", "show", "1").output
    assert "basicConstraints (critical):" in shown
    assert "CA: TRUE, path length: unlimited" in shown
    assert "Certificate Sign, CRL Sign" in shown
    assert (
        json.loads(run(ws, "cert", "show", "1", "--json").output)["details"]["public_key"]
        == "EC P-384"
    )
    cas = json.loads(run(ws, "ca", "list", "--json").output)
    assert cas[0]["kind"] == "root"
    info = json.loads(run(ws, "workspace", "info", "--json").output)
    assert info["certificates"] == 1 and info["audit_entries"] == 2


def test_passphrase_from_file_descriptor(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    read_fd, write_fd = os.pipe()
    os.write(write_fd, (PASSPHRASE + "\n").encode())
    os.close(write_fd)
    try:
        result = run(ws, "ca", "create-root", "--cn", "FD Root", "--passphrase-fd", str(read_fd))
    finally:
        os.close(read_fd)
    assert result.exit_code == 0, result.output


def test_passphrase_prompt_asks_twice(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    mismatch = run(
        ws,
        "ca",
        "create-root",
        "--cn",
        "P",
        input=f"{PASSPHRASE}\nsomething else entirely\n{PASSPHRASE}\n{PASSPHRASE}\n",
    )
    assert "Error: The two entered values do not match." in mismatch.output
    assert mismatch.exit_code == 0
    assert "Created root CA 1" in mismatch.output


def test_passphrase_is_not_a_plain_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--workspace", str(tmp_path), "ca", "create-root", "--cn", "X", "--passphrase", "x"]
    )
    assert result.exit_code == 2
    assert "No such option '--passphrase'" in result.output


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--cn", ""), {"P": PASSPHRASE}, "common name (CN) is empty"),
        (("--cn", "R", "--country", "UK"), {"P": PASSPHRASE}, "the United Kingdom's code is 'GB'"),
        (("--cn", "R"), {"P": "too weak"}, "passphrase is too short"),
        (("--cn", "R", "--validity-days", "0"), {"P": PASSPHRASE}, "Validity must be between"),
    ],
)
def test_bad_input_exits_non_zero_and_keeps_nothing(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    result = run(ws, "ca", "create-root", *args, "--passphrase-env", "P", env=env)
    assert result.exit_code == 1
    assert message in result.output
    assert list((ws / "keys").iterdir()) == []
    assert json.loads(run(ws, "cert", "list", "--json").output) == []
    assert json.loads(run(ws, "workspace", "info", "--json").output)["audit_entries"] == 1


def test_unset_passphrase_variable(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    result = run(ws, "ca", "create-root", "--cn", "R", "--passphrase-env", "PKIADMIN_TEST_UNSET")
    assert result.exit_code == 2
    assert "The environment variable PKIADMIN_TEST_UNSET is not set." in result.output


def test_missing_and_foreign_workspaces(tmp_path: Path) -> None:
    missing = run(tmp_path / "nowhere", "cert", "list")
    assert missing.exit_code == 1
    assert "There is no workspace at" in missing.output and "workspace init" in missing.output
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "data.txt").write_text("x")
    foreign = run(tmp_path / "foreign", "workspace", "init")
    assert foreign.exit_code == 1
    assert "is not empty and is not a pkiadmin workspace" in foreign.output


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    conn = sqlite3.connect(ws / "pkiadmin.db")
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 5}")
    conn.close()
    result = run(ws, "cert", "list")
    assert result.exit_code == 1
    assert "written by a newer pkiadmin" in result.output


def test_workspace_from_environment(tmp_path: Path) -> None:
    ws = tmp_path / "from-env"
    result = CliRunner().invoke(cli, ["workspace", "init"], env={"PKIADMIN_WORKSPACE": str(ws)})
    assert result.output == f"Created workspace {ws}\n"


def test_export_pem_and_der_never_overwrite(root_ws_path: Path, tmp_path: Path) -> None:
    pem = run(root_ws_path, "cert", "export", "1")
    assert pem.exit_code == 0
    written = Path(pem.output.split()[1])
    assert written.parent == root_ws_path / "exports"
    assert written.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    again = run(root_ws_path, "cert", "export", "1")
    assert again.exit_code == 1 and "never overwrites" in again.output
    der_path = tmp_path / "root.der"
    assert (
        run(
            root_ws_path, "cert", "export", "1", "--format", "der", "--out", str(der_path)
        ).exit_code
        == 0
    )
    assert der_path.read_bytes()[0] == 0x30
    missing = run(root_ws_path, "cert", "export", "99")
    assert missing.exit_code == 1 and "There is no certificate with id 99" in missing.output
    log = json.loads(run(root_ws_path, "audit", "list", "--json").output)
    assert [e["operation"] for e in log][-2:] == ["cert.export", "cert.export"]


def test_audit_verify_ok_and_tampered(root_ws_path: Path) -> None:
    ok = run(root_ws_path, "audit", "verify")
    assert ok.exit_code == 0
    assert ok.output.startswith("OK: 2 entries, chain intact.")
    conn = sqlite3.connect(root_ws_path / "pkiadmin.db")
    conn.execute("UPDATE audit_log SET operation = 'nothing.happened' WHERE seq = 2")
    conn.commit()
    conn.close()
    bad = CliRunner().invoke(cli, ["--workspace", str(root_ws_path), "audit", "verify"])
    assert bad.exit_code == 1
    assert "FAILED at entry #2: entry #2 was edited" in bad.output
    listing = run(root_ws_path, "audit", "list")
    assert "nothing.happened" in listing.output


def test_verify_key_right_and_wrong_passphrase(root_ws_path: Path) -> None:
    ok = run(root_ws_path, "ca", "verify-key", "1", "--passphrase-env", "P", env={"P": PASSPHRASE})
    assert ok.exit_code == 0
    assert "OK: the passphrase opens root-" in ok.output and "CA 1 (Test Root CA)" in ok.output
    wrong = run(root_ws_path, "ca", "verify-key", "1", input="not the right passphrase\n")
    assert wrong.exit_code == 1
    assert "Error: The passphrase is wrong" in wrong.output


def test_read_only_disk_is_reported(root_ws_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    real_open = os.open

    def read_only(path: object, flags: int, *args: int) -> int:
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr("pkiadmin.core.base.atomicfile.os.open", read_only)
    result = run(root_ws_path, "cert", "export", "1")
    assert result.exit_code == 1
    assert "Read-only file system. Check that the folder is writable." in result.output
    assert list((root_ws_path / "exports").iterdir()) == []


def test_version_reports_package_hash() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert re.fullmatch(
        r"pkiadmin \d+\.\d+\.\d+\npackage files SHA-256: [0-9a-f]{64}\n", result.output
    )


def _commands() -> list[str]:
    import click

    def walk(prefix: str, command: click.Command) -> list[str]:
        if isinstance(command, click.Group):
            return [
                name
                for sub_name, sub in command.commands.items()
                for name in walk(f"{prefix} {sub_name}", sub)
            ]
        return [prefix]

    ctx = click.Context(cli)
    groups = {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}
    return [
        name.strip()
        for group_name, group in groups.items()
        if group is not None
        for name in walk(group_name, group)
    ]


def test_the_groups_help_lines_are_their_own() -> None:
    """The lazy top-level group keeps each group's help line so that --help imports no group;
    they must say what the groups themselves say."""
    import importlib

    from pkiadmin.cli import main

    for name, (module, text) in main.GROUPS.items():
        group = importlib.import_module(f"pkiadmin.cli.commands.{module}").group
        assert (group.name, group.help) == (name, text)


def _fresh_interpreter(code: str) -> str:
    """What `code` prints in a new Python process (the modules it imports are its own)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout


def test_help_imports_no_command_group_nor_the_domain() -> None:
    """`pkiadmin-cli --help` (#23: start-up) loads click and the entry point, nothing else."""
    said = _fresh_interpreter(
        "import sys; from pkiadmin.cli.main import cli\n"
        "try:\n    cli(['--help'], prog_name='pkiadmin-cli')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pkiadmin.core', 'pkiadmin.cli.commands',"
        " 'cryptography', 'sqlite_utils', 'pkilint'))))"
    )
    assert said.strip().splitlines()[-1] == "[]"


def test_signing_does_not_import_the_ca_lifecycle() -> None:
    """`ca sign-csr` (#23: start-up) loads the CA group but not its lifecycle commands (renew,
    rollover, adopt, ...), which bring much of the domain that signing does not use; they are
    still listed and run."""
    said = _fresh_interpreter(
        "import sys; from pkiadmin.cli.main import cli\n"
        "for args in (['ca', 'sign-csr', '--help'], ['ca', '--help'], ['ca', 'renew', '--help']):\n"
        "    try:\n        cli(args, prog_name='pkiadmin-cli')\n    except SystemExit:\n        pass\n"
        "    print('lifecycle' if 'pkiadmin.cli.commands.ca_lifecycle' in sys.modules else 'none')"
    )
    lines = said.splitlines()
    assert [line for line in lines if line in ("none", "lifecycle")] == [
        "none",
        "lifecycle",
        "lifecycle",
    ]
    assert "Renew intermediate CA_ID with the same key" in said


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_documented_in_the_cli_reference(command: str) -> None:
    reference = (ROOT / "docs" / "cli.md").read_text()
    assert (
        f"pkiadmin-cli {command}" in reference
        or f"pkiadmin-cli --workspace DIR {command}" in reference
    )
