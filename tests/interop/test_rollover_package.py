"""A partner's root rollover reaches us as a trust package: it carries the new root and both link
certificates, opening it says exactly what changed against the certificates last verified, and
the new root is in `trust export` only after a verification call over what the package holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509

from pkiadmin.cli.main import cli
from tests.interop.test_end_entity_tls import (
    _cli,
    _exchange_and_verify,
    organisation,
    verify_on_call,
)

pytestmark = pytest.mark.interop


def test_the_rollover_package_shows_what_changed_and_waits_for_the_call(tmp_path: Path) -> None:
    a = organisation(tmp_path, "Org A", "SE")
    b = organisation(tmp_path, "Org B", "FR")
    (tmp_path / "first").mkdir()
    first = _exchange_and_verify(a, b, tmp_path / "first")
    assert first.read_text().count("BEGIN CERTIFICATE") == 3

    rolled = _cli(b.ws, "ca", "rollover", "1", "--cn", "Org B Root CA 2026", "--passphrase-env", "P",
                  "--new-passphrase-env", "P")  # fmt: skip
    assert "New root CA 4" in rolled
    for ca_id in ("1", "2", "3", "4"):
        _cli(b.ws, "crl", "issue", ca_id, "--passphrase-env", "P")
    out = tmp_path / "rollover"
    _cli(b.ws, "package", "build", "peer", "--out-dir", str(out), "--passphrase-env", "OP")
    (package,) = out.glob("*.tar.gpg")
    opened = _cli(a.ws, "package", "open", "peer", str(package), "--passphrase-env", "OP")
    assert "ACCEPTED: every check passed" in opened
    changes = opened.split("Changed since the CA certificates last verified on a call:")[1]
    changes = changes.split("The partner is unverified")[0]
    assert changes.count("added: ") == 3, opened
    assert "added: CN=Org B Root CA 2026,O=Org B,C=FR" in changes
    assert "removed:" not in changes and "replaced:" not in changes

    refused = CliRunner().invoke(cli, ["--workspace", str(a.ws), "trust", "export", "--out",
                                       str(tmp_path / "early.pem")])  # fmt: skip
    assert refused.exit_code == 1 and "No partner CA certificate is trusted now" in refused.output

    verify_on_call(a, out)
    store = tmp_path / "after.pem"
    _cli(a.ws, "trust", "export", "--out", str(store))
    subjects = [
        c.subject.rfc4514_string() for c in x509.load_pem_x509_certificates(store.read_bytes())
    ]
    assert "CN=Org B Root CA 2026,O=Org B,C=FR" in subjects
