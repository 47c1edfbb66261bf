"""A CRL never drops a revocation: two signings that overlap cannot both be stored, thisUpdate
never goes backwards, and revocation rows removed or changed behind pkiadmin's back stop the next
CRL (and `crl issue`) with the serial named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pkiadmin.cli.main import cli
from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.issuance import intermediate
from pkiadmin.core.keys.signer import FileSigner
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace.folder import Workspace
from tests.conftest import PASSPHRASE
from tests.core.revocation.test_crl import issue_intermediate


def _signer(ws: Workspace) -> FileSigner:
    return FileSigner(intermediate.unlock_issuer_key(ws, 1, PASSPHRASE, None), "root key")


def _serials(ws: Workspace) -> set[int]:
    latest = crl.latest(ws.db, 1)
    assert latest is not None
    return {e.serial_number for e in crl.load(ws.db, latest.id)}


def test_an_older_draft_signed_later_is_refused(root_ws: Workspace) -> None:
    """A prepares (ceremony: minutes pass), B prepares after a keyCompromise revocation and is
    stored first; A, which does not list it, must not become the newer CRL."""
    first = issue_intermediate(root_ws, "First CA")
    second = issue_intermediate(root_ws, "Second CA")
    revocation.revoke(root_ws, first, "superseded")
    crl.issue(root_ws, 1, PASSPHRASE)
    draft_a = crl.prepare(root_ws, 1)
    revoked = revocation.revoke(root_ws, second, "keyCompromise")
    draft_b = crl.prepare(root_ws, 1)
    signer = _signer(root_ws)
    with root_ws.db.atomic():
        crl.store(root_ws, crl.sign(root_ws, draft_b, signer))
    with pytest.raises(CheckFailedError, match=f"serial {revoked.serial}.*does not list it"):
        crl.sign(root_ws, draft_a, signer)
    assert int(revoked.serial, 16) in _serials(root_ws)


def test_a_draft_reserved_first_and_stored_last_is_refused(root_ws: Workspace) -> None:
    cert = issue_intermediate(root_ws)
    signer = _signer(root_ws)
    draft_a = crl.prepare(root_ws, 1)
    signed_a = crl.sign(root_ws, draft_a, signer)  # number reserved before the revocation
    revoked = revocation.revoke(root_ws, cert, "keyCompromise")
    with root_ws.db.atomic():
        crl.store(root_ws, crl.sign(root_ws, crl.prepare(root_ws, 1), signer))
    with pytest.raises(CheckFailedError, match=f"serial {revoked.serial}"), root_ws.db.atomic():
        crl.store(root_ws, signed_a)
    numbers = [r.number for r in crl.list_crls(root_ws.db, 1)]
    assert numbers == sorted(numbers) and signed_a.number not in numbers
    assert int(revoked.serial, 16) in _serials(root_ws)


@pytest.mark.parametrize(
    "tamper",
    [
        "DELETE FROM revocations",
        "UPDATE revocations SET serial = '0BADBAD0'",
    ],
)
def test_a_revocation_removed_behind_pkiadmins_back_stops_the_next_crl(
    root_ws_path: Path, tamper: str
) -> None:
    from pkiadmin.core.workspace import folder as workspace

    with workspace.open_workspace(root_ws_path) as ws:
        cert = issue_intermediate(ws)
        revoked = revocation.revoke(ws, cert, "keyCompromise")
        crl.issue(ws, 1, PASSPHRASE)
        signer = _signer(ws)  # unlocked before the edit: the CRL's own check still stops it
    with sqlite3.connect(root_ws_path / "pkiadmin.db") as raw:
        raw.execute(tamper)
    runner = CliRunner()
    env = {"P": PASSPHRASE}
    verified = runner.invoke(cli, ["--workspace", str(root_ws_path), "audit", "verify"])
    assert verified.exit_code == 1
    assert f"the revocation of serial {revoked.serial}" in verified.output
    assert "differs from what was recorded" in verified.output
    result = runner.invoke(
        cli,
        ["--workspace", str(root_ws_path), "crl", "issue", "1", "--passphrase-env", "P"],
        env=env,
    )
    assert result.exit_code == 1
    assert f"serial {revoked.serial}" in result.output and "No key is used" in result.output
    with workspace.open_workspace(root_ws_path) as ws:
        with pytest.raises(CheckFailedError, match="removed or changed outside pkiadmin"):
            crl.sign(ws, crl.prepare(ws, 1), signer)
        assert [c.number for c in crl.list_crls(ws.db, 1)] == [1]


def test_a_csr_is_signed_at_most_once(root_ws: Workspace) -> None:
    """Two `ca sign-csr` at once: both prepare and sign; the one stored second is refused."""
    from pkiadmin.core.issuance import requests
    from tests.core.x509.test_csr import make_csr, pem

    record, _ = requests.import_csr(root_ws, pem(make_csr()), "twice.csr")
    plans = [
        intermediate.prepare(
            root_ws,
            1,
            requests.load_request(root_ws, record.id),
            intermediate.IntermediateRequest(),
        )
        for _ in range(2)
    ]
    key = intermediate.unlock_issuer_key(root_ws, 1, PASSPHRASE, None)
    signed = [intermediate.sign_certificate(root_ws, p, key) for p in plans]
    with root_ws.db.atomic():
        first, _ = intermediate.store_signed(root_ws, plans[0], signed[0], csr_id=record.id)
    before = root_ws.db.execute("SELECT count(*) FROM certificates").fetchone()[0]
    with pytest.raises(CheckFailedError, match="was signed meanwhile"), root_ws.db.atomic():
        intermediate.store_signed(root_ws, plans[1], signed[1], csr_id=record.id)
    assert root_ws.db.execute("SELECT count(*) FROM certificates").fetchone()[0] == before
    row = root_ws.db.execute(
        "SELECT status, cert_id FROM csrs WHERE id = ?", (record.id,)
    ).fetchone()
    assert tuple(row) == ("signed", first)


class _Clock:
    """datetime with now() at a chosen moment, for the module under test."""

    @staticmethod
    def at(moment: object) -> type:
        from datetime import datetime as real

        class Frozen(real):
            @classmethod
            def now(cls, tz: object = None) -> real:  # type: ignore[override]
                return moment  # type: ignore[return-value]

        return Frozen


@pytest.mark.parametrize(("shift_days", "message"), [(-365, "before 'Test Root CA' became valid"),
                                                      (365 * 25, "expired on")])  # fmt: skip
def test_a_wrong_clock_signs_nothing(
    root_ws: Workspace, monkeypatch: pytest.MonkeyPatch, shift_days: int, message: str
) -> None:
    from datetime import UTC, datetime, timedelta

    from pkiadmin.core.issuance import requests
    from tests.core.x509.test_csr import make_csr, pem

    record, _ = requests.import_csr(root_ws, pem(make_csr()), "clock.csr")
    monkeypatch.setattr(
        intermediate, "datetime", _Clock.at(datetime.now(UTC) + timedelta(days=shift_days))
    )
    with pytest.raises(ValidationError, match=message):
        intermediate.prepare(
            root_ws,
            1,
            requests.load_request(root_ws, record.id),
            intermediate.IntermediateRequest(),
        )


def test_a_crl_signed_with_the_clock_ahead_shows_as_not_yet_valid(root_ws: Workspace) -> None:
    from datetime import UTC, datetime, timedelta

    from pkiadmin.core.revocation import calendar as crl_status
    from pkiadmin.core.revocation.calendar import CrlState

    ahead = datetime.now(UTC) + timedelta(days=3)
    crl.issue(root_ws, 1, PASSPHRASE, now=ahead)
    (status,) = crl_status.status(root_ws.db)
    assert status.state is CrlState.FUTURE and status.state.needs_attention
    assert "is after the clock" in status.reason
    (later,) = crl_status.status(root_ws.db, now=ahead + timedelta(hours=1))
    assert later.state is CrlState.OK


@pytest.mark.parametrize(
    "shift", [pytest.param(-365, id="set-back"), pytest.param(60, id="far-ahead")]
)
def test_an_odd_clock_needs_a_recorded_confirmation_before_key_use(
    root_ws: Workspace, monkeypatch: pytest.MonkeyPatch, shift: int
) -> None:
    from datetime import UTC, datetime, timedelta

    from pkiadmin.core.issuance import authorities
    from pkiadmin.core.workspace import audit, clock

    frozen = _Clock.at(datetime.now(UTC) + timedelta(days=shift))
    monkeypatch.setattr(clock, "datetime", frozen)
    monkeypatch.setattr(audit, "datetime", frozen)  # the system clock, as audit entries see it
    ca = authorities.get_authority(root_ws.db, 1)
    with pytest.raises(
        CheckFailedError, match="No key is used until a person has checked the clock"
    ):
        authorities.unlock_key(root_ws, ca, PASSPHRASE)
    clock.confirm(root_ws.db, "Alice Admin")
    last = audit.entries(root_ws.db, limit=1)[0]
    assert last.operation == "clock.confirmed" and last.objects == {"by": "Alice Admin"}
    assert "Alice Admin" not in str(last.details) and last.details["problem"]
    authorities.unlock_key(root_ws, ca, PASSPHRASE)  # confirmed: the key can be used


def test_a_crl_signed_with_the_clock_ahead_is_superseded_once_the_clock_is_right(
    root_ws: Workspace,
) -> None:
    """Set five years ahead once, the clock signed CRL 1; put right, it must not block signing
    for five years."""
    from datetime import UTC, datetime, timedelta

    from pkiadmin.core.revocation import calendar as crl_status
    from pkiadmin.core.revocation.calendar import CrlState

    crl.issue(root_ws, 1, PASSPHRASE, now=datetime.now(UTC) + timedelta(days=5 * 365))
    fixed = crl.issue(root_ws, 1, PASSPHRASE)
    assert fixed.signed.number == 2
    assert any(
        "signed with the clock ahead; this CRL supersedes it" in n for n in fixed.signed.draft.notes
    )
    (status,) = crl_status.status(root_ws.db)
    assert status.number == 2 and status.state is CrlState.OK


def test_a_csr_being_signed_by_another_process_is_refused_before_signing(
    root_ws_path: Path,
) -> None:
    """Two `ca sign-csr` at once: the second stops before anything is signed, naming the first."""
    import subprocess
    import sys

    from pkiadmin.core.issuance import requests
    from pkiadmin.core.workspace import folder as workspace
    from tests.core.x509.test_csr import make_csr, pem

    with workspace.open_workspace(root_ws_path) as ws:
        record, _ = requests.import_csr(ws, pem(make_csr()), "twice.csr")
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time; from pathlib import Path\n"
            "from pkiadmin.core.issuance import intermediate\n"
            "from pkiadmin.core.workspace import folder as workspace\n"
            "ws = workspace.open_workspace(Path(sys.argv[1]))\n"
            "intermediate.reserve_csr(ws, int(sys.argv[2]))\n"
            "print('reserved', flush=True); time.sleep(30)\n"
        ), str(root_ws_path), str(record.id)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "reserved"
        second = CliRunner().invoke(
            cli, ["--workspace", str(root_ws_path), "ca", "sign-csr", "1", str(record.id),
                  "--passphrase-env", "P", "--yes"], env={"P": PASSPHRASE},
        )  # fmt: skip
        assert second.exit_code == 1
        assert f"is being signed by process {holder.pid}" in second.output
        assert "Nothing was signed" in second.output
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    with workspace.open_workspace(root_ws_path) as ws:
        assert ws.db.execute("SELECT count(*) FROM certificates").fetchone()[0] == 1
    # the holder is gone: its reservation is taken over, and the CSR is signed exactly once
    signed = CliRunner().invoke(
        cli, ["--workspace", str(root_ws_path), "ca", "sign-csr", "1", str(record.id),
              "--passphrase-env", "P", "--yes"], env={"P": PASSPHRASE},
    )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    with workspace.open_workspace(root_ws_path) as ws:
        row = ws.db.execute(
            "SELECT status, signing FROM csrs WHERE id = ?", (record.id,)
        ).fetchone()
        assert tuple(row) == ("signed", None)
