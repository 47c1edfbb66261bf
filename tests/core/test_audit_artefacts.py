"""Every mutating operation leaves the audit entries it should (one, or a reservation before it),
and the files they name are the files it wrote: each artefact that names a file has that file's SHA-256, and each file the operation wrote
(in the workspace or where it was told to write) is named by an artefact.

The operations run one after another on one workspace (a root CA, an officer key and a partner
with their own GnuPG home), each checked on its own: the files and the audit log are compared
before and after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pkiadmin.core.exchange import call_records, package_build, package_open, partners
from pkiadmin.core.exchange import trust_store as trust
from pkiadmin.core.exchange.call import confirmed
from pkiadmin.core.inventory import compliance_report, export, metadata, query, view_export
from pkiadmin.core.inventory import importer as bulk_import
from pkiadmin.core.issuance import (
    end_entity,
    held_ca,
    intermediate,
    openssl_index,
    profiles,
    requests,
)
from pkiadmin.core.revocation import calendar as crl_status
from pkiadmin.core.revocation import crl, ocsp
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.workspace import audit, clock
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.names import SubjectSpec
from tests.conftest import PASSPHRASE, make_root
from tests.core.conftest import Exchange
from tests.core.issuance.test_end_entity import SUFFIX_PROFILE, csr_for
from tests.core.x509.test_csr import make_csr, pem
from tests.inventory_helpers import leaf
from tests.package_helpers import (
    OFFICER_PASSPHRASE,
    partner_package_bytes,
    standard_files,
)

KEY = ec.generate_private_key(ec.SECP256R1())
HELD = "held issuing CA passphrase"

# Written by every operation, named by none: the database, its lock, and gpg's own state.
_NOT_ARTEFACTS = ("pkiadmin.db", "write.lock", "gnupg/", ".gnupg", "S.gpg-agent", "random_seed")


@dataclass
class Env:
    ex: Exchange
    out: Path
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def ws(self) -> Workspace:
        return self.ex.ws


def _digests(*roots: Path) -> dict[Path, str]:
    found = {}
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not any(mark in str(path) for mark in _NOT_ARTEFACTS):
                found[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _named(artefact: audit.Artefact, path: Path, roots: tuple[Path, ...]) -> bool:
    names = {str(path), path.name} | {
        str(path.relative_to(r)) for r in roots if path.is_relative_to(r)
    }
    return artefact.name in names


def _file_of(artefact: audit.Artefact, roots: tuple[Path, ...]) -> Path | None:
    candidates = [Path(artefact.name)] + [r / artefact.name for r in roots]
    return next((c for c in candidates if c.is_absolute() and c.is_file()), None)


def _through_manifests(artefacts: list[audit.Artefact]) -> list[audit.Artefact]:
    """An OCSP export names its manifest, which names every response file with its SHA-256:
    those files count as named (the manifest's own hash is checked like any artefact's)."""
    found = list(artefacts)
    for artefact in artefacts:
        path = Path(artefact.name)
        if path.name == "manifest.json" and path.is_file():
            for response in json.loads(path.read_text())["responses"]:
                found += [
                    audit.Artefact(str(path.parent / f), response["sha256"])
                    for f in response["files"]
                ]
    return found


def check_one_entry(
    env: Env, act: Callable[[Env], object], expected: tuple[str, ...]
) -> audit.AuditEntry:
    """`expected` is the operation's entries in order: a reservation committed on its own before
    the work (a CSR being signed, a CRL number), or the signing inside a larger operation."""
    roots = (env.ws.path, env.out)
    before_files = _digests(*roots)
    before = audit.entries(env.ws.db)
    act(env)
    after = audit.entries(env.ws.db)
    new = after[len(before) :]
    assert tuple(e.operation for e in new) == expected
    entry = new[-1]
    named_anywhere = _through_manifests([a for e in new for a in e.artefacts])
    written = {p: d for p, d in _digests(*roots).items() if before_files.get(p) != d}
    for path, digest in written.items():
        named = [a for a in named_anywhere if _named(a, path, roots)]
        assert named, f"{entry.operation} wrote {path} but names it in no artefact"
        assert all(a.sha256 == digest for a in named), (
            f"{entry.operation}: the artefact for {path} has another SHA-256 than the file"
        )
    for artefact in named_anywhere:
        found = _file_of(artefact, roots)
        if found is not None and found in written:
            assert written[found] == artefact.sha256
        elif Path(artefact.name).is_absolute():
            raise AssertionError(f"{entry.operation} names {artefact.name}, which it did not write")
    return entry


# --- the operations ----------------------------------------------------------------------


def _second_root(env: Env) -> None:
    env.ids["root2"] = make_root(env.ws, cn="Second Root CA").ca_id


def _import_csr(env: Env) -> None:
    record, _ = requests.import_csr(env.ws, pem(make_csr(subject="Issuing CA")), "issuing.csr")
    env.ids["csr"] = record.id


def _sign_csr(env: Env) -> None:
    plan = intermediate.prepare(
        env.ws, 1, requests.load_request(env.ws, env.ids["csr"]), intermediate.IntermediateRequest()
    )
    env.ids["sub"] = intermediate.sign(env.ws, plan, PASSPHRASE, csr_id=env.ids["csr"]).cert_id


def _held_issuing_ca(env: Env) -> None:
    held = held_ca.create_intermediate(
        env.ws,
        1,
        SubjectSpec("Held Issuing CA", "Example Ltd", country="DE"),
        intermediate.IntermediateRequest(intermediate.CaProfile.ISSUING),
        HELD,
        issuer_passphrase=PASSPHRASE,
    )
    env.ids["held"] = held.ca_id


def _import_service_csr(env: Env) -> None:
    request, _ = csr_for("api.example.com", [])
    record, _ = requests.import_csr(
        env.ws, request.public_bytes(serialization.Encoding.PEM), "api.csr"
    )
    env.ids["service_csr"] = record.id


def _sign_end_entity(env: Env) -> None:
    csr_id = env.ids["service_csr"]
    plan = end_entity.prepare(
        env.ws,
        env.ids["held"],
        requests.load_request(env.ws, csr_id),
        profiles.get(env.ws.db, "tls-server"),
    )
    end_entity.sign(env.ws, plan, HELD, csr_id=csr_id)


def _export_bundle(env: Env) -> None:
    cert_id = env.ws.db.execute(
        "SELECT max(id) FROM certificates WHERE profile IS NOT NULL"
    ).fetchone()[0]
    export.export_bundle(env.ws, int(cert_id), env.out / "bundle")


def _import_profile(env: Env) -> None:
    path = env.out.parent / "inputs" / "gateway.toml"  # the operator's file, not an output
    path.parent.mkdir(exist_ok=True)
    path.write_text(SUFFIX_PROFILE)
    profiles.import_profile(env.ws, path)


def _export_profile(env: Env) -> None:
    profiles.export(env.ws, "partner-gateway", env.out / "exported-profile.toml")


def _set_metadata(env: Env) -> None:
    change = metadata.MetadataChange(service="idp", environment="production", partner="partner")
    metadata.set_metadata(env.ws, env.ids["sub"], change)


def _revoke(env: Env) -> None:
    revocation.revoke(env.ws, env.ids["sub"], "keyCompromise", None, None, "test")


def _issue_crl(env: Env) -> None:
    env.ids["crl"] = crl.issue(env.ws, 1, PASSPHRASE, None).crl_id


def _export_crl(env: Env) -> None:
    crl_status.export(env.ws, env.ids["crl"], env.out / "crl")


def _export_cert(env: Env) -> None:
    export.export_certificate(env.ws, 1, export.CertFormat.PEM, env.out / "root.pem")


def _export_view(env: Env) -> None:
    view_export.export_view(
        env.ws, query.Filter(), view_export.ViewFormat.CSV, env.out / "view.csv", datetime.now(UTC)
    )


def _compliance_report(env: Env) -> None:
    compliance_report.write(env.ws, compliance_report.ReportFormat.PDF, env.out / "compliance.pdf")


def _index_txt(env: Env) -> None:
    openssl_index.write_index_txt(env.ws, 1, env.out / "index.txt")


def _bulk_import(env: Env) -> None:
    folder = env.out / "to-import"
    folder.mkdir()
    now = datetime.now(UTC)
    cert = leaf("imported.example", now - timedelta(days=1), now + timedelta(days=90), KEY, 7)
    (folder / "leaf.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    bulk_import.import_paths(env.ws, [folder], None, None, lambda: False)


def _confirm_clock(env: Env) -> None:
    clock.confirm(env.ws.db, "Ada Operator")


def _add_partner(env: Env) -> None:
    partners.add(env.ws, "other", "Other Org")


def _build_package(env: Env) -> None:
    package_build.build(env.ws, "partner", OFFICER_PASSPHRASE, env.out / "packages")


def _open_package(env: Env) -> None:
    files = standard_files()
    sealed = partner_package_bytes(env.ex.home, env.ex.partner_fpr, env.ex.officer_fpr, files)
    path = env.out / "theirs.tar.gpg"
    path.write_bytes(sealed)
    package_open.open_package(env.ws, "partner", path, OFFICER_PASSPHRASE)


def _record_call(env: Env) -> None:
    plan = call_records.start(env.ws, "partner")
    comparisons = [confirmed(v, [True] * v.groups) for v in plan.values]
    call_records.record(
        env.ws,
        plan,
        "we-read",
        "Olivia Officer",
        "Pat Partner",
        "+33 1 23 45 67 89",
        "signed contract, annex 2",
        comparisons,
        officer_passphrase=OFFICER_PASSPHRASE,
    )


def _sign_ocsp(env: Env) -> None:
    ocsp.issue(env.ws, 1, PASSPHRASE, folder=env.out / "ocsp", days=7)


def _export_trust(env: Env) -> None:
    trust.export(env.ws, "pem", env.out / "partner-cas.pem")


def _export_partner_crls(env: Env) -> None:
    trust.export_crls(env.ws, "pem", env.out / "partner-crls.pem")


OPERATIONS: list[tuple[Callable[[Env], None], tuple[str, ...]]] = [
    (_second_root, ("ca.create-root",)),
    (_import_csr, ("csr.import",)),
    (_sign_csr, ("csr.reserve", "ca.sign-intermediate")),
    (_held_issuing_ca, ("ca.sign-intermediate", "ca.create-intermediate")),
    (_import_service_csr, ("csr.import",)),
    (_sign_end_entity, ("csr.reserve", "ca.sign-end-entity")),
    (_export_bundle, ("cert.export-bundle",)),
    (_import_profile, ("profile.import",)),
    (_export_profile, ("profile.export",)),
    (_set_metadata, ("cert.metadata",)),
    (_revoke, ("cert.revoke",)),
    (_issue_crl, ("crl.number-reserved", "crl.issue")),
    (_export_crl, ("crl.export",)),
    (_sign_ocsp, ("ocsp.sign",)),
    (_export_cert, ("cert.export",)),
    (_export_view, ("cert.export-view",)),
    (_compliance_report, ("compliance.report",)),
    (_index_txt, ("ca.export-index",)),
    (_bulk_import, ("cert.import",)),
    (_confirm_clock, ("clock.confirmed",)),
    (_add_partner, ("partner.add",)),
    (_build_package, ("package.build",)),
    (_open_package, ("package.open",)),
    (_record_call, ("call.verified",)),
    (_export_trust, ("trust.export",)),
    (_export_partner_crls, ("trust.export-crls",)),
]


@pytest.fixture(scope="module")
def env(shared_exchange: Exchange, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield Env(shared_exchange, tmp_path_factory.mktemp("out"))


@pytest.mark.parametrize(("act", "expected"), OPERATIONS, ids=[e[-1] for _, e in OPERATIONS])
def test_one_audit_entry_naming_the_files_written(
    env: Env, act: Callable[[Env], None], expected: tuple[str, ...]
) -> None:
    check_one_entry(env, act, expected)
