"""A root rolled over to a new key: the new root and both link certificates pass pkilint; openssl
verify -x509_strict builds both paths (a CA under the new root validates for a relying party that
trusts only the old root, through the new-signed-by-old link, and a CA under the old root for one
that trusts only the new root); the audit replay agrees; each root's key age is known."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.cli.main import cli
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.integrity import audit_replay
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, held_ca
from pkiadmin.core.issuance.intermediate import CaProfile, IntermediateRequest
from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
from pkiadmin.core.lifecycle import rollover
from pkiadmin.core.workspace import folder as workspace
from pkiadmin.core.x509 import lint
from pkiadmin.core.x509.names import SubjectSpec
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.interop
NEW = "the new root's passphrase 2026"
ISSUING = "an issuing CA passphrase here"


def _pem(path: Path, *certs: x509.Certificate) -> str:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return str(path)


def _verify(
    tmp: Path, trusted: x509.Certificate, untrusted: x509.Certificate, leaf: x509.Certificate
) -> str:
    done = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-CAfile", _pem(tmp / "anchor.pem", trusted),
         "-untrusted", _pem(tmp / "link.pem", untrusted), _pem(tmp / "target.pem", leaf)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


def test_both_paths_build_across_the_rollover(tmp_path: Path) -> None:
    with workspace.create(tmp_path / "ws") as ws:
        old = create_root_ca(
            ws,
            RootCaRequest(SubjectSpec("Example Root CA 2020", "Example Ltd", country="SE")),
            PASSPHRASE,
        )
        request = RootCaRequest(SubjectSpec("Example Root CA 2026", "Example Ltd", country="SE"))
        with pytest.raises(ValidationError, match="a name of its own"):
            rollover.rollover(
                ws,
                old.ca_id,
                RootCaRequest(SubjectSpec("Example Root CA 2020", "Example Ltd", country="SE")),
                PASSPHRASE,
                NEW,
            )
        done = rollover.rollover(ws, old.ca_id, request, PASSPHRASE, NEW)
        new_root, new_by_old, old_by_new = done.certificates
        old_root = inventory.load_certificate(ws.db, old.record.id)
        for cert in done.certificates:
            assert lint.lint_certificate(cert).ok, lint.lint_certificate(cert)
        assert (new_by_old.subject, new_by_old.issuer) == (new_root.subject, old_root.subject)
        assert (old_by_new.subject, old_by_new.issuer) == (old_root.subject, new_root.subject)
        assert audit_replay.differences(ws.db) == ()
        assert authorities.link_certificates(ws.db) == (done.new_by_old_id, done.old_by_new_id)

        def issuing(ca_id: int, cn: str) -> x509.Certificate:
            made = held_ca.create_intermediate(
                ws, ca_id, SubjectSpec(cn, "Example Ltd", country="SE"),
                IntermediateRequest(CaProfile.POLICY), ISSUING,
                issuer_passphrase=NEW if ca_id == done.new_ca_id else PASSPHRASE,
            )  # fmt: skip
            return made.issued.certificate

        under_new = issuing(done.new_ca_id, "Example Policy CA 2026")
        under_old = issuing(old.ca_id, "Example Policy CA 2020")
        assert ": OK" in _verify(tmp_path, old_root, new_by_old, under_new)
        assert ": OK" in _verify(tmp_path, new_root, old_by_new, under_old)
        refused = _verify(tmp_path, old_root, old_by_new, under_new)
        assert "unable to get local issuer certificate" in refused
        ages = {a.name: a for a in rollover.key_ages(ws.db)}
        assert ages["Example Root CA 2026"].source == "created here"
        assert (
            ages["Example Root CA 2026"].trust_ends - ages["Example Root CA 2026"].generated
        ).days in (5478, 5479)


def test_rollover_from_the_command_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    env = {"OLD": PASSPHRASE, "NEW": NEW}
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--workspace", str(ws), *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    run("workspace", "init")
    run(
        "ca",
        "create-root",
        "--cn",
        "Example Root CA 2020",
        "--org",
        "Example Ltd",
        "--country",
        "SE",
        "--passphrase-env",
        "OLD",
    )
    said = run("ca", "rollover", "1", "--cn", "Example Root CA 2026", "--passphrase-env", "OLD",
               "--new-passphrase-env", "NEW", "--out-dir", str(tmp_path / "out"))  # fmt: skip
    assert "New root CA 2 (certificate 2): CN=Example Root CA 2026,O=Example Ltd,C=SE" in said
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "new-root-by-old-root.pem", "new-root.pem", "old-root-by-new-root.pem",
    ]  # fmt: skip
    ages = run("ca", "renewals")
    assert "Root CA 2 Example Root CA 2026: key generated" in ages and "websites trust ends" in ages
