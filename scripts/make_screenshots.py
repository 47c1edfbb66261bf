"""Regenerate the README screenshots: scripts/make_screenshots.py [--scale 2]  (offscreen, 1280x800)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from pkiadmin.gui.main_window import MainWindow

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="1", help="QT_SCALE_FACTOR, e.g. 2 for a HiDPI grab")
    args = parser.parse_args()
    os.environ["QT_SCALE_FACTOR"] = args.scale
    from pkiadmin.core.issuance.root import RootCaRequest, create_root_ca
    from pkiadmin.core.workspace import folder as workspace
    from pkiadmin.core.x509.names import SubjectSpec
    from pkiadmin.gui.app import create_application
    from pkiadmin.gui.main_window import MainWindow
    from pkiadmin.gui.worker import InlineCaWorker

    app = create_application(sys.argv[:1])
    suffix = "" if args.scale == "1" else f"@{args.scale}x"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "workspace"
        with workspace.create(path) as ws:
            subject = SubjectSpec("Example Root CA 2026", "Example Ltd", "PKI", "GB")
            create_root_ca(ws, RootCaRequest(subject), "an example passphrase for screenshots")
            stock_inventory(ws, Path(tmp))
        window = MainWindow(InlineCaWorker(path), path)
        window.resize(1280, 800)
        window.show()

        def grab(name: str) -> None:
            for _ in range(200):  # the certificates table loads on its reader thread
                app.processEvents()
                if window.certificates.model.row(0) is not None:
                    break
                time.sleep(0.01)
            app.processEvents()
            window.grab().save(str(OUT / f"{name}{suffix}.png"))

        grab("dashboard")
        window.nav.setCurrentRow(2)
        window.certificates.filter.setText("web")
        window.certificates.apply_filters()
        grab("certificates-loading")  # waits for the rows; the file is removed below
        (OUT / f"certificates-loading{suffix}.png").unlink()
        window.certificates.table.selectRow(1)
        grab("certificates")
        window.nav.setCurrentRow(7)
        grab("audit-log")
        window.nav.setCurrentRow(8)
        window.profiles.table.selectRow(4)
        grab("profiles")
        dialog = window.authority_ops.open_new_root_dialog()
        dialog.common_name.setText("Example Root CA 2027")
        dialog.country.setText("UK")
        dialog.passphrase.setText("too short")
        dialog.start()
        app.processEvents()
        dialog.grab().save(str(OUT / f"new-root-dialog{suffix}.png"))
        dialog.reject()
        grab_requests(window, Path(tmp), grab)
        grab_revocation(window, grab, suffix)
        grab_partners(window, Path(tmp), grab)
        grab_ceremony(app, window, Path(tmp), suffix)
        grab_signing_ceremony(window, Path(tmp), suffix)
        grab_dialogs(app, window, suffix)
        window.close()
        grab_first_start(app, Path(tmp), suffix)
    return 0


def grab_dialogs(app: QApplication, window: MainWindow, suffix: str) -> None:
    """The dialogs added for GUI parity: CA settings, compliance policy, the custodians' shares,
    issuing with a key made here, adopting a CA."""
    from pkiadmin.gui.dialogs.share_inputs import SharesDialog

    def settle() -> None:
        for _ in range(50):
            app.processEvents()

    from pkiadmin.gui.operations.lifecycle import ConfirmDialog, CrossSignDialog, DestroyKeyDialog

    parent = window
    extra = {
        "sign-batch": window.request_ops.open_batch_dialog(),
        "known-bad-keys": window.open_known_bad_keys(),
        "ceremony-plan-form": window.ceremony_ops.open_plan_form(),
        "destroy-key": DestroyKeyDialog("Example Online Issuing CA", parent),
        "cross-sign": CrossSignDialog(
            "Example Root CA 2026", [(7, "pat: CN=Partner Root")], parent
        ),
        "lifecycle-confirm": ConfirmDialog(
            "Renew Example Online Issuing CA",
            "Subject: CN=Example Online Issuing CA\nIssuer: CN=Example Root CA 2026\n"
            "Validity: 2026-12-02 to 2031-12-01\nSame key; basicConstraints CA:TRUE, pathlen 0",
            "Si&gn the renewed certificate",
            parent,
        ),
    }
    extra["hsm-tokens"] = window.authority_ops.open_hsm_dialog()
    extra["new-intermediate"] = window.authority_ops.open_new_intermediate_dialog()
    data = window.overview_data
    if data is not None and data.partners:
        name = data.partners[0].name
        extra["build-package"] = window.partner_ops.open_build(name)
        extra["open-package"] = window.partner_ops.open_package_dialog(name)
    for dialog in extra.values():
        dialog.show()
    dialogs = {
        **extra,
        "ca-settings": window.authority_ops.open_settings_dialog(1),
        "compliance-policy": window.open_compliance_policy(),
        "issue-with-key": window.request_ops.open_issue_key_dialog(),
        "adopt-ca": window.authority_ops.open_adopt_dialog(),
    }
    shares = SharesDialog(
        "Example Root CA 2026",
        "Issue a CRL (after CRL 3; 1 revocation(s) waiting)",
        ["Carol Custodian", "Dave Custodian", "Erin Custodian"],
        "",
        window,
    )
    shares.show()
    shares.fields[1].setText("academic acid qqqq")
    shares.inputs.show_boxes[1].setChecked(True)
    dialogs["custodian-shares"] = shares
    settle()
    for name, dialog in dialogs.items():
        dialog.grab().save(str(OUT / f"{name}{suffix}.png"))
        dialog.reject()


def grab_first_start(app: object, tmp: Path, suffix: str) -> None:
    """An empty workspace's dashboard (what to do first), and Help → Guides."""
    from pkiadmin.gui.main_window import MainWindow
    from pkiadmin.gui.worker import InlineCaWorker

    path = tmp / "empty"
    window = MainWindow(InlineCaWorker(path), path)
    window.resize(1280, 800)
    window.show()
    for _ in range(50):
        app.processEvents()  # type: ignore[attr-defined]
    window.grab().save(str(OUT / f"first-start{suffix}.png"))
    guides = window.open_guides("ceremonies")
    guides.resize(1100, 720)
    for _ in range(50):
        app.processEvents()  # type: ignore[attr-defined]
    guides.grab().save(str(OUT / f"guides{suffix}.png"))
    guides.reject()
    window.close()


def grab_requests(window: object, tmp: Path, grab: object) -> None:
    """Import an openssl-style CSR, preview its signing, and show the hierarchy."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Ltd"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Example Online Issuing CA"),
        ]
    )
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name)
        .sign(ec.generate_private_key(ec.SECP384R1()), hashes.SHA384())
    )
    path = tmp / "issuing.csr"
    path.write_bytes(request.public_bytes(serialization.Encoding.PEM))
    window.request_ops.import_csr(path)  # type: ignore[attr-defined]
    window.requests.table.selectRow(0)  # type: ignore[attr-defined]
    grab("requests")  # type: ignore[operator]
    dialog = window.request_ops.open_sign_dialog(1)  # type: ignore[attr-defined]
    dialog.eku.setText("serverAuth, clientAuth")
    dialog.preview_button.click()
    dialog.resize(900, 760)
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    dialog.grab().save(str(OUT / "sign-csr.png"))
    dialog.checked.setChecked(True)
    dialog.secret.setText("an example passphrase for screenshots")
    dialog.sign_button.click()
    window.nav.setCurrentRow(1)  # type: ignore[attr-defined]
    grab("authorities")  # type: ignore[operator]


def grab_signing_ceremony(window: object, tmp: Path, suffix: str) -> None:
    """A sign-intermediate key-use ceremony at its review step: the exact certificate and the CSR's words."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from PySide6.QtWidgets import QApplication

    from pkiadmin.core.ceremony.keyuse import plan as keyuse_plan
    from pkiadmin.core.ceremony.keyuse.plan import KeyUseKind

    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Ltd"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Example Partner Issuing CA"),
        ]
    )
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name)
        .sign(ec.generate_private_key(ec.SECP384R1()), hashes.SHA384())
    )
    path = tmp / "partner-issuing.csr"
    path.write_bytes(request.public_bytes(serialization.Encoding.PEM))
    window.request_ops.import_csr(path)  # type: ignore[attr-defined]
    digest = next(r.sha256 for r in window.requests.model.records() if r.status == "pending")  # type: ignore[attr-defined]
    plan = tmp / "sign.toml"
    text = keyuse_plan.template(KeyUseKind.SIGN_INTERMEDIATE)
    text = text.replace('"Example Root CA 2026"  ', '"Example Root CA 2026"  ').replace(
        "0" * 64, digest
    )
    text = text.replace('role = "custodian"', 'role = "witness"')
    plan.write_text(text)
    window.ceremony_ops.start_ceremony(plan, rehearsal=False)  # type: ignore[attr-defined]
    wizard = window.ceremony_ops.ceremony_wizard  # type: ignore[attr-defined]
    wizard.resize(1280, 800)
    for step in range(2):
        page = wizard.currentPage()
        if step == 0:
            page.matches.click()
        else:
            page.waiver.setText("screenshot machine")
            page.run_button.click()
        for box in page.ack_boxes.values():
            box.click()
        wizard.next()
    QApplication.processEvents()
    wizard.grab().save(str(OUT / f"sign-ceremony-review{suffix}.png"))
    wizard.abort("screenshots only")


def grab_partners(window: object, tmp: Path, grab: object) -> None:
    """An officer key, a partner with their key, a package built for them."""
    import subprocess

    home = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    home.chmod(0o700)

    def gpg(*args: str) -> bytes:
        return subprocess.run(
            ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", "", *args],
            capture_output=True, check=True,
        ).stdout  # fmt: skip

    gpg("--quick-gen-key", "Pat Partner <pat@partner.example>", "ed25519", "sign", "2y")
    fpr = next(
        line.split(":")[9]
        for line in gpg("--with-colons", "--list-keys").decode().splitlines()
        if line.startswith("fpr:")
    )
    gpg("--quick-add-key", fpr, "cv25519", "encr", "2y")
    key = tmp / "pat.asc"
    key.write_bytes(gpg("--armor", "--export", fpr))
    actions = window.partner_ops  # type: ignore[attr-defined]
    actions.generate_officer_key(
        "Olivia Officer", "olivia@example.com", "an example officer passphrase"
    )
    actions.add_partner(
        "partner-sa",
        "Partner SA",
        "Pat Partner|security officer|+33 1 23 45 67 89|signed contract, annex 2",
    )
    actions.import_key("partner-sa", key, fpr)
    build = actions.open_build("partner-sa")
    build.out_dir.setText(str(tmp / "packages"))
    build.passphrase.setText("an example officer passphrase")
    build.run_button.click()
    build.reject()
    window.nav.setCurrentRow(5)  # type: ignore[attr-defined]
    grab("partners")  # type: ignore[operator]
    actions.open_call("partner-sa")
    call = actions.dialog
    call.resize(1280, 800)
    for field, value in ((call.our_officer, "Olivia Officer"), (call.their_officer, "Pat Partner"),
                         (call.phone, "+33 1 23 45 67 89"), (call.phone_source, "signed contract, annex 2")):  # fmt: skip
        field.setText(value)
    for group in range(2):
        call.heard.setText(" ".join(call.values[0].group_words(group)))
        call.check_group()
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    call.grab().save(str(OUT / "verification-call.png"))
    call.reject()
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)


def stock_inventory(ws: object, tmp: Path) -> None:
    """Some hundreds of imported certificates with spread expiry dates, weak keys and missing
    EKUs here and there, and some metadata: what the dashboard and the table are for."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    from pkiadmin.core.inventory import importer as bulk_import
    from pkiadmin.core.inventory import metadata

    now = datetime.now(UTC)
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    weak = rsa.generate_private_key(65537, 1024)
    names = ("web", "api", "mail", "vpn", "db", "auth", "pay", "cdn")
    certs = []
    for i in range(400):
        name = f"{names[i % len(names)]}{i}.corp.example"
        key = weak if i % 37 == 0 else issuer_key
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Corp Issuing CA 1")]))
            .public_key(key.public_key())
            .serial_number(0x1000 + i)
            .not_valid_before(now - timedelta(days=300))
            .not_valid_after(now + timedelta(days=(i * 7919) % 390 - 20, hours=6))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        )
        if i % 23:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        certs.append(builder.sign(issuer_key, hashes.SHA256()))
    bundle = tmp / "corp.pem"
    bundle.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    bulk_import.import_paths(ws, [bundle])  # type: ignore[arg-type]
    for cert_id in range(2, 40, 3):
        metadata.set_metadata(ws, cert_id, metadata.MetadataChange(  # type: ignore[arg-type]
            service="payments", environment="production", owner_team="web-platform", tags="pci",
        ))  # fmt: skip


def grab_revocation(window: object, grab: object, suffix: str) -> None:
    """An empty CRL, then the intermediate revoked and pending: the calendar and the dashboard."""
    from PySide6.QtWidgets import QApplication

    window.revocation_ops.issue_crl(1, "an example passphrase for screenshots")  # type: ignore[attr-defined]
    dialog = window.revocation_ops.open_revoke_dialog()  # type: ignore[attr-defined]
    dialog.reason.setCurrentIndex(dialog.reason.findData("cessationOfOperation"))
    dialog.note.setText("online CA decommissioned, change CHG-1042")
    QApplication.processEvents()
    dialog.grab().save(str(OUT / f"revoke-dialog{suffix}.png"))
    dialog.accept()
    window.nav.setCurrentRow(4)  # type: ignore[attr-defined]
    grab("revocation")  # type: ignore[operator]
    window.nav.setCurrentRow(0)  # type: ignore[attr-defined]
    grab("dashboard")  # type: ignore[operator]


def grab_ceremony(app: object, window: object, tmp: Path, suffix: str) -> None:
    """Walk a rehearsal through the wizard and grab the pages people read aloud from."""
    from PySide6.QtWidgets import QApplication, QWizard

    from pkiadmin.core.ceremony.root import plan as ceremony_plan

    plan = tmp / "plan.toml"
    plan.write_text(
        ceremony_plan.template().replace('id = "EXAMPLE-ROOT-2026"', 'id = "EXAMPLE-ROOT-2027"')
    )
    window.ceremony_ops.start_ceremony(plan, rehearsal=False)  # type: ignore[attr-defined]
    wizard = window.ceremony_ops.ceremony_wizard  # type: ignore[attr-defined]
    wizard.resize(1280, 800)

    def grab(name: str) -> None:
        QApplication.processEvents()
        wizard.grab().save(str(OUT / f"{name}{suffix}.png"))

    def ack(page: object) -> None:
        for box in page.ack_boxes.values():  # type: ignore[attr-defined]
            box.click()
        wizard.next()

    page = wizard.currentPage()
    grab("ceremony-plan")
    page.matches.click()
    ack(page)
    page = wizard.currentPage()
    page.waiver.setText("screenshot machine")
    for box in page.present.values():
        box.setChecked(True)
    (tmp / "backup-medium").mkdir(exist_ok=True)
    page.backup.setText(str(tmp / "backup-medium"))
    page.run_button.click()
    grab("ceremony-preflight")
    ack(page)
    page = wizard.currentPage()
    page.generate.click()
    ack(page)
    page = wizard.currentPage()
    page.split_button.click()
    page.show_button.click()
    grab("ceremony-share")
    words = []
    for _ in range(3):
        if not page.words.text():
            page.show_button.click()
        words.append(page.current_words())
        page.written_button.click()
    ack(page)
    page = wizard.currentPage()
    page.fields[0].setText(words[0])
    page.fields[1].setText(words[1])
    page.test_button.click()
    ack(page)
    page = wizard.currentPage()
    page.sign_button.click()
    ack(page)
    grab("ceremony-fingerprint")
    wizard.button(QWizard.WizardButton.CancelButton)
    wizard.run.abort("screenshots only", wizard.run.plan.administrator.name)
    wizard.done(0)


if __name__ == "__main__":
    sys.exit(main())
