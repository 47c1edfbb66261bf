"""Tools → Known-bad keys: a blocklist installed with its metadata (a wrong hash is refused and
shown), a file checked (a ROCA key and a published key named with the reason), the list removed."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.gui.main_window import MainWindow
from tests.core.issuance.test_end_entity import csr_for
from tests.known_bad_keys import roca_key, write_blocklist, write_metadata


def _csr(path: Path, key: object) -> Path:
    request, _ = csr_for("svc.example.com", [x509.DNSName("svc.example.com")], key=key)  # type: ignore[arg-type]
    path.write_bytes(request.public_bytes(serialization.Encoding.PEM))
    return path


def test_install_check_and_remove_a_blocklist(window: MainWindow, tmp_path: Path) -> None:
    published = ec.generate_private_key(ec.SECP256R1())
    listed = write_blocklist(tmp_path / "blocklist.dat", [published.public_key()])
    dialog = window.open_known_bad_keys()
    assert dialog.lists.rowCount() == 0 and not dialog.remove_button.isEnabled()

    dialog.install(listed, write_metadata(tmp_path / "wrong.json", listed, sha256="00" * 32))
    assert "damaged or not the one published" in dialog.error.text()
    assert dialog.error.isVisibleTo(dialog) and dialog.lists.rowCount() == 0

    dialog.install(listed, write_metadata(tmp_path / "badkeysdata.json", listed))
    assert not dialog.error.isVisibleTo(dialog)
    cells = [dialog.lists.item(0, c) for c in range(3)]
    assert [c.text() if c else None for c in cells] == ["blocklist.dat", "1,001", "debianssl, rfc"]

    dialog.check(_csr(tmp_path / "published.csr", published))
    assert "KNOWN BAD — its private key is published (blocklist 'rfc'" in (
        dialog.results.toPlainText()
    )
    dialog.check(_csr(tmp_path / "roca.csr", roca_key()))
    assert "ROCA flaw" in dialog.results.toPlainText()
    dialog.check(_csr(tmp_path / "fine.csr", ec.generate_private_key(ec.SECP256R1())))
    assert "CSR CN=svc.example.com: no known weakness." in dialog.results.toPlainText()

    dialog.remove(dialog.installed[0].sha256)
    assert dialog.lists.rowCount() == 0
    dialog.reject()
