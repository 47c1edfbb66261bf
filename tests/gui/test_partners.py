"""The Partners section: officer key, a partner with their key, our package built and theirs opened
(accepted, then a rejected one with the problem named), as a security officer would click it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pytestqt.qtbot import QtBot

from pkiadmin.gui.dialogs.call import CallDialog
from pkiadmin.gui.main_window import MainWindow
from tests.gui.conftest import MessageLog
from tests.gui.test_main_window import fill_and_create
from tests.package_helpers import (
    gpg,
    kill_agent,
    make_key,
    new_home,
    partner_package_bytes,
    standard_files,
)

OFFICER = "officer passphrase for the GUI test"


def test_partner_onboarding_in_the_gui(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, messages: MessageLog
) -> None:
    home = new_home()
    try:
        fpr = make_key(home, "Pat Partner <pat@partner.example>")
        key_file = tmp_path / "pat.asc"
        key_file.write_bytes(gpg(home, "--armor", "--export", fpr).stdout)
        fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
        window.nav.setCurrentRow(5)
        page = window.partners
        assert window.stack.currentWidget() is page
        assert page.officer.text() == "No officer key yet" and not page.buttons["build"].isEnabled()
        actions = window.partner_ops
        actions.generate_officer_key("Olivia Officer", "olivia@example.com", OFFICER)
        assert page.officer.text().startswith("Our officer key: ")
        actions.add_partner(
            "pat", "Partner SA", "Pat Partner|officer|+33 1 23 45 67 89|signed contract"
        )
        assert page.model.rowCount() == 1 and page.buttons["build"].isEnabled()
        actions.import_key("pat", key_file, "0" * 40)
        assert "not the one given" in messages.texts[-1]
        actions.import_key("pat", key_file, fpr)
        assert page.model.records()[0].key_status == "unverified"
        assert "number from signed contract" in page.details.text()

        build = actions.open_build("pat")
        build.out_dir.setText(str(tmp_path / "out"))
        build.passphrase.setText(OFFICER)
        build.run_button.click()
        assert "✔ Wrote" in build.summary.text(), build.error.text()
        build.reject()

        officer = window.overview_data.officer_fingerprint if window.overview_data else None
        assert officer is not None
        files = standard_files()
        ours_pub = tmp_path / "ours.asc"
        from pkiadmin.core.exchange import partners
        from pkiadmin.core.workspace import folder as workspace

        with workspace.open_workspace(window.workspace_path) as ws:
            ours_pub.write_text(partners.keyring(ws).export_public(officer))
        assert gpg(home, "--import", str(ours_pub)).returncode == 0
        theirs = tmp_path / "theirs.tar.gpg"
        theirs.write_bytes(partner_package_bytes(home, fpr, officer, files))
        # Looked at before it is opened: size, SHA-256 and the keys it is encrypted to.
        actions.inspect_package(theirs)
        assert (
            messages.texts[-1].startswith(f"{theirs}: ")
            and "encrypted to key id" in messages.texts[-1]
        )
        # The partner's hierarchy, validated as RFC 5280 says (the files the package carries).
        hierarchy = tmp_path / "hierarchy"
        hierarchy.mkdir()
        for name, data in files.items():
            if name.startswith(("certs/", "crl/")):
                (hierarchy / name.replace("/", "-")).write_bytes(data)
        actions.validate_hierarchy([hierarchy])
        assert "ACCEPTED trust anchor CN=Partner Root" in messages.texts[-1], messages.texts[-1]
        opened = actions.open_package_dialog("pat")
        opened.file.setText(str(theirs))
        opened.passphrase.setText(OFFICER)
        opened.run_button.click()
        assert opened.summary.text().startswith("✔ ACCEPTED"), opened.error.text()
        assert any(
            "chains to a root" in opened.findings.item(i).text()
            for i in range(opened.findings.count())
        )
        unsigned = tmp_path / "unsigned.tar.gpg"
        unsigned.write_bytes(partner_package_bytes(home, fpr, officer, files, signed=False))
        opened.file.setText(str(unsigned))
        opened.passphrase.setText(OFFICER)
        opened.run_button.click()
        assert "The package is not signed" in opened.error.text()
        opened.reject()
        details = page.details.text()
        assert "accepted" in details and "rejected" in details and "sent" in details
    finally:
        kill_agent(home)
        shutil.rmtree(home, ignore_errors=True)


def drive_call(
    qtbot: QtBot,
    window: MainWindow,
    direction: str,
    wrong_group: int | None = None,
    partner: str = "pat",
) -> CallDialog:
    """The call screen as the officer uses it: keyboard only."""
    from PySide6.QtCore import Qt

    from pkiadmin.core.base import fingerprint

    window.partner_ops.open_call(partner)
    dialog = window.partner_ops.dialog
    assert isinstance(dialog, CallDialog)
    dialog.direction.setCurrentIndex(dialog.direction.findData(direction))
    for field, text in ((dialog.our_officer, "Olivia"), (dialog.their_officer, "Pat"),
                        (dialog.phone, "+33 1 23 45 67 89"), (dialog.phone_source, "signed contract")):  # fmt: skip
        field.setText(text)
    assert "Pair code:" in dialog.findChild(type(dialog.title), "pairCode").text()  # type: ignore[union-attr]
    for value_index, value in enumerate(dialog.values):
        assert f"Value {value_index + 1} of {len(dialog.values)}" in dialog.title.text()
        for group in range(value.groups):
            if direction == "we-read":
                qtbot.keyClick(dialog, Qt.Key.Key_Space)
                continue
            # Blind: the group being read and those after it show only their position.
            placeholders = [f"[group {g + 1} of {value.groups}]" for g in range(value.groups)]
            shown = dialog.groups.text()
            assert all(p in shown for p in placeholders[group:])
            assert not any(p in shown for p in placeholders[:group])  # compared: revealed
            words = list(value.group_words(group))
            if wrong_group == group and value_index == 0:
                words = list(
                    fingerprint.pgp_words(
                        bytes([value.data[group * 2] ^ 1, value.data[group * 2 + 1]])
                    )
                )
            if group == 0 and value_index == 0:
                dialog.heard.setText("tigerx " + words[1])
                qtbot.keyClick(dialog.heard, Qt.Key.Key_Return)
                assert "is not a PGP word" in dialog.verdict.text()
            dialog.heard.setText(" ".join(words))
            qtbot.keyClick(dialog.heard, Qt.Key.Key_Return)
            if dialog.mismatch:
                return dialog
    return dialog


def test_the_verification_call_both_ways_and_a_mismatch(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, messages: MessageLog
) -> None:
    home = new_home()
    try:
        fpr = _onboard(qtbot, window, tmp_path, home)
        mismatch = drive_call(qtbot, window, "they-read", wrong_group=3)
        assert "MISMATCH" in mismatch.verdict.text() and "group 4" in mismatch.verdict.text()
        assert "color:#c62828" in mismatch.groups.text()  # the misheard group, in red
        assert not mismatch.heard.isEnabled()  # cannot be talked into 'verified'
        mismatch.record()
        assert mismatch.recorded is not None and mismatch.recorded.result == "mismatch"
        mismatch.reject()
        assert window.partners.model.records()[0].key_status == "unverified"
        window.partner_ops.export_trust(tmp_path / "too-early.pem")
        assert "No partner CA certificate is trusted now" in messages.texts[-1]

        for direction in ("we-read", "they-read"):
            call = drive_call(qtbot, window, direction)
            assert "All 4 values compared." in call.title.text()
            call.passphrase.setText(OFFICER)
            call.record()
            assert call.recorded is not None, call.error.text()
            assert call.recorded.result == "verified"
            assert not call.heard.isEnabled() and not call.confirm_button.isEnabled()
            call.reject()
        assert window.partners.model.records()[0].key_status == "verified"
        assert "verified 0 days ago" in window.dashboard.partner_list.text()
        assert "CN=Partner" in window.dashboard.partner_list.text()
        window.partner_ops.export_trust(tmp_path / "partner-cas.pem")
        assert (tmp_path / "partner-cas.pem").read_text().count("BEGIN CERTIFICATE") == 2
        # The other two trust stores: hashed files for openssl -CApath, and Java's PKCS#12.
        (tmp_path / "capath").mkdir()
        window.partner_ops.export_trust(tmp_path / "capath", "openssl-dir")
        assert len([f for f in (tmp_path / "capath").iterdir() if f.name.endswith(".0")]) == 2
        window.partner_ops.export_trust(tmp_path / "partner-cas.p12", "p12", "changeit-please")
        listed = subprocess.run(
            ["openssl", "pkcs12", "-in", str(tmp_path / "partner-cas.p12"), "-nokeys",
             "-passin", "pass:changeit-please"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert listed.returncode == 0 and listed.stdout.count("BEGIN CERTIFICATE") == 2
        # The printable sheet for the next call (File → Export).
        window.export_ops.write_call_sheet("pat", tmp_path / "sheet.pdf")
        assert (tmp_path / "sheet.pdf").read_bytes().startswith(b"%PDF")
        # Their CAs stand apart from ours in Authorities, under the partner's name.
        tree = window.authorities.tree
        tops = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
        theirs = next(t for t in tops if t is not None and t.text(0).startswith("Partner CAs"))
        assert theirs.text(0) == "Partner CAs — pat"
        root = theirs.child(0)
        assert root is not None and root.text(1) == "partner root" and theirs.childCount() == 1
        assert root.text(2) == "the partner's"
        issuing = root.child(0)  # under the root that signed it
        assert issuing is not None and issuing.text(1) == "partner intermediate"
        # The dashboard says until when the partner's CRLs run; they export for nginx ssl_crl.
        assert "CRL of CN=Partner" in window.dashboard.partner_list.text()
        assert "current until" in window.dashboard.partner_list.text()
        window.partner_ops.export_crls(tmp_path / "partner-crls.pem")
        assert (tmp_path / "partner-crls.pem").read_text().count("BEGIN X509 CRL") == 2
        assert fpr
    finally:
        kill_agent(home)
        shutil.rmtree(home, ignore_errors=True)


def _onboard(qtbot: QtBot, window: MainWindow, tmp_path: Path, home: Path) -> str:
    fpr = make_key(home, "Pat Partner <pat@partner.example>")
    key_file = tmp_path / "pat.asc"
    key_file.write_bytes(gpg(home, "--armor", "--export", fpr).stdout)
    fill_and_create(qtbot, window.authority_ops.open_new_root_dialog())
    actions = window.partner_ops
    actions.generate_officer_key("Olivia Officer", "olivia@example.com", OFFICER)
    actions.add_partner("pat", "Partner SA", "")
    actions.import_key("pat", key_file, fpr)
    officer = window.overview_data.officer_fingerprint if window.overview_data else None
    assert officer is not None
    from pkiadmin.core.exchange import partners
    from pkiadmin.core.workspace import folder as workspace

    with workspace.open_workspace(window.workspace_path) as ws:
        (tmp_path / "ours.asc").write_text(partners.keyring(ws).export_public(officer))
    assert gpg(home, "--import", str(tmp_path / "ours.asc")).returncode == 0
    theirs = tmp_path / "theirs.tar.gpg"
    theirs.write_bytes(partner_package_bytes(home, fpr, officer, standard_files()))
    opened = actions.open_package_dialog("pat")
    opened.file.setText(str(theirs))
    opened.passphrase.setText(OFFICER)
    opened.run_button.click()
    assert opened.summary.text().startswith("✔ ACCEPTED"), opened.error.text()
    opened.reject()
    return fpr
