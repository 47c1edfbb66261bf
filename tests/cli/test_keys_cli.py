"""`keys check` names each known-bad key with the reason and exits 1; `keys blocklist` installs
(hash checked against the publisher's metadata), lists and removes blocklists; `csr import`
refuses a known-bad key with the reason."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.cli.main import cli
from tests.core.issuance.test_end_entity import csr_for
from tests.known_bad_keys import roca_key, write_blocklist, write_metadata


def run(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(ws), *args])


def _csr_file(path: Path, key: object) -> Path:
    request, _ = csr_for("svc.example.com", [x509.DNSName("svc.example.com")], key=key)  # type: ignore[arg-type]
    path.write_bytes(request.public_bytes(serialization.Encoding.PEM))
    return path


def test_keys_check_names_a_roca_key_and_passes_a_sound_one(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert run(ws, "workspace", "init").exit_code == 0
    roca = _csr_file(tmp_path / "roca.csr", roca_key())
    sound = _csr_file(tmp_path / "sound.csr", ec.generate_private_key(ec.SECP256R1()))
    result = run(ws, "keys", "check", str(roca), str(sound))
    assert result.exit_code == 1
    assert "roca.csr: CSR CN=svc.example.com: KNOWN BAD: it was made by an Infineon chip" in (
        result.output
    )
    assert "sound.csr: CSR CN=svc.example.com: no known weakness" in result.output
    assert "No blocklist is installed" in result.output
    assert "Error: 1 key(s) are known to be bad" in result.output
    refused = run(ws, "csr", "import", str(roca))
    assert refused.exit_code == 1 and "ROCA flaw" in refused.output
    assert "Traceback" not in refused.output


def test_a_private_key_file_is_never_read(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    key = tmp_path / "key.pem"
    key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    result = run(ws, "keys", "check", str(key))
    assert result.exit_code == 1 and "holds a private key" in result.output


def test_blocklist_install_list_check_and_remove(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run(ws, "workspace", "init")
    published = ec.generate_private_key(ec.SECP256R1())
    listed = write_blocklist(tmp_path / "blocklist.dat", [published.public_key()])
    wrong = write_metadata(tmp_path / "wrong.json", listed, sha256="00" * 32)
    bad = run(ws, "keys", "blocklist", "install", str(listed), "--metadata", str(wrong))
    assert bad.exit_code == 1 and "damaged or not the one published" in bad.output
    good = run(
        ws, "keys", "blocklist", "install", str(listed), "--metadata",
        str(write_metadata(tmp_path / "badkeysdata.json", listed)),
    )  # fmt: skip
    assert good.exit_code == 0, good.output
    assert "Installed blocklist.dat: 1,001 keys (debianssl, rfc)" in good.output
    listing = json.loads(run(ws, "keys", "blocklist", "list", "--json").output)
    assert [item["name"] for item in listing] == ["blocklist.dat"]
    csr = _csr_file(tmp_path / "published.csr", published)
    checked = run(ws, "keys", "check", str(csr))
    assert checked.exit_code == 1 and "its private key is published (blocklist 'rfc'" in (
        checked.output
    )
    assert run(ws, "keys", "blocklist", "remove", "blocklist.dat").exit_code == 0
    assert run(ws, "keys", "check", str(csr)).exit_code == 0
    operations = [e["operation"] for e in json.loads(run(ws, "audit", "list", "--json").output)]
    assert "keys.blocklist-install" in operations and "keys.blocklist-remove" in operations
