"""Pre-signed OCSP responses (RFC 6960) for an offline CA: at each signing, one response for every
certificate the CA issued (good, or revoked with its time and reason), valid no longer than the
CA's CRL period, signed by the CA key itself or by a delegated responder certificate (the
ocsp-responder profile: EKU OCSPSigning, id-pkix-ocsp-nocheck). An online responder, nginx's
ssl_stapling_file or `openssl s_server -status_file` serves them as they are.

The folder written: `by-serial/<SERIAL>.der`, the same bytes under `by-certid/<issuerNameHash>-
<issuerKeyHash>-<SERIAL>.der` (the SHA-1 CertID an OCSP request carries, hex), and `manifest.json`
listing every response with its status and SHA-256. The audit entry names the manifest (and
through it every response); the batch is recorded so the calendar shows when the responses
expire."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from pkiadmin.core.base.display import plain_error
from pkiadmin.core.base.errors import CheckFailedError, StorageError, ValidationError
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, intermediate, lint_then_sign
from pkiadmin.core.keys import files as keys
from pkiadmin.core.revocation import crl
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.revocation.calendar import file_stem
from pkiadmin.core.workspace import audit
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import lint
from pkiadmin.core.x509.keyid import subject_public_key_bits

if TYPE_CHECKING:
    from sqlite_utils import Database

FORMAT = "pkiadmin-ocsp-responses/1"
MANIFEST = "manifest.json"
# BR 4.9.10: responses about subscriber certificates are valid for at most ten days.
SUBSCRIBER_MAX_DAYS = 10
THREADS = 2
_CHUNK = 256


@dataclass(frozen=True)
class CertStatus:
    serial: int
    serial_hex: str
    is_ca: bool
    revoked_at: datetime | None  # None: good
    reason: str | None

    @property
    def status(self) -> str:
        return "good" if self.revoked_at is None else "revoked"


@dataclass(frozen=True)
class OcspPlan:
    ca_id: int
    ca_name: str
    issuer: x509.Certificate
    this_update: datetime
    next_update: datetime
    statuses: tuple[CertStatus, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Responder:
    """Who signs the responses: the CA's own key (certificate None), or a delegated responder."""

    key: keys.PrivateKey
    certificate: x509.Certificate | None = None
    cert_id: int | None = None

    def describe(self, plan: OcspPlan) -> str:
        if self.certificate is None:
            return f"the key of '{plan.ca_name}'"
        return f"delegated responder {self.certificate.subject.rfc4514_string()}"


@dataclass(frozen=True)
class OcspExport:
    batch_id: int
    folder: Path
    manifest_sha256: str
    responses: int
    revoked: int
    this_update: datetime
    next_update: datetime
    lint: tuple[lint.LintReport, ...]


def plan(
    ws: Workspace, ca_id: int, days: int | None = None, now: datetime | None = None
) -> OcspPlan:
    """The responses to sign: every certificate the CA issued, with its status now."""
    authority = authorities.get_authority(ws.db, ca_id)
    issuer = inventory.load_certificate(ws.db, authority.cert_id)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    period = crl.settings(ws.db, ca_id).period_days
    if days is not None and not 1 <= days <= period:
        raise ValidationError(
            f"OCSP responses of '{authority.name}' are valid for 1 to {period} days (its CRL "
            "period); a response must not outlive the CRL that agrees with it."
        )
    valid = timedelta(days=days or period)
    notes = []
    next_update = now + valid
    if next_update > authority.not_after:
        next_update = authority.not_after
        notes.append(f"nextUpdate capped at the CA's notAfter, {next_update:%Y-%m-%d %H:%M} UTC.")
    if now >= authority.not_after:
        raise ValidationError(f"'{authority.name}' has expired; it cannot sign OCSP responses.")
    statuses = tuple(_statuses(ws.db, authority.cert_id))
    if not statuses:
        raise ValidationError(
            f"'{authority.name}' has issued no certificate this workspace knows of; there is no "
            "OCSP response to sign."
        )
    if valid > timedelta(days=SUBSCRIBER_MAX_DAYS) and any(not s.is_ca for s in statuses):
        notes.append(
            f"Responses are valid for {valid.days} days; the CA/Browser Forum Baseline "
            f"Requirements (4.9.10) allow at most {SUBSCRIBER_MAX_DAYS} for publicly trusted "
            "subscriber certificates."
        )
    return OcspPlan(ca_id, authority.name, issuer, now, next_update, statuses, tuple(notes))


def _statuses(db: Database, issuer_cert_id: int) -> Iterator[CertStatus]:
    rows = db.execute(
        "SELECT c.serial_hex, c.is_ca, r.revoked_at, r.reason FROM certificates c"
        " LEFT JOIN revocations r ON r.cert_id = c.id"
        " WHERE c.issuer_cert_id = ? AND c.id != ? ORDER BY c.id",
        (issuer_cert_id, issuer_cert_id),
    )
    for serial_hex, is_ca, revoked_at, reason in rows:
        yield CertStatus(
            int(serial_hex, 16),
            str(serial_hex),
            bool(is_ca),
            datetime.fromisoformat(revoked_at) if revoked_at else None,
            str(reason) if reason else None,
        )


def delegated_responder(
    ws: Workspace, the_plan: OcspPlan, cert_id: int, key: keys.PrivateKey
) -> Responder:
    """A responder certificate issued by the plan's CA, for OCSP signing, valid for as long as
    the responses, whose key is `key`; anything else is refused with the reason."""
    cert = inventory.load_certificate(ws.db, cert_id)
    name = cert.subject.rfc4514_string()
    if cert.issuer != the_plan.issuer.subject:
        raise ValidationError(
            f"Certificate {cert_id} ({name}) was not issued by '{the_plan.ca_name}'; a delegated "
            "responder signs only for the CA that issued it (RFC 6960 4.2.2.2)."
        )
    try:
        cert.verify_directly_issued_by(the_plan.issuer)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise ValidationError(
            f"Certificate {cert_id} ({name}) does not verify under '{the_plan.ca_name}'."
        ) from exc
    exts = cert.extensions
    try:
        ekus = exts.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        ekus = x509.ExtendedKeyUsage([])
    if ExtendedKeyUsageOID.OCSP_SIGNING not in ekus:
        raise ValidationError(
            f"Certificate {cert_id} ({name}) has no OCSPSigning EKU; issue one under the "
            "ocsp-responder profile."
        )
    if ExtensionOID.OCSP_NO_CHECK not in {e.oid for e in exts}:
        raise ValidationError(
            f"Certificate {cert_id} ({name}) lacks id-pkix-ocsp-nocheck (BR 7.1.2.8); issue one "
            "under the ocsp-responder profile."
        )
    if cert.not_valid_before_utc > the_plan.this_update or (
        cert.not_valid_after_utc < the_plan.next_update
    ):
        raise ValidationError(
            f"The responder certificate {cert_id} is valid {cert.not_valid_before_utc:%Y-%m-%d} "
            f"to {cert.not_valid_after_utc:%Y-%m-%d}, not for the whole life of the responses "
            f"({the_plan.this_update:%Y-%m-%d} to {the_plan.next_update:%Y-%m-%d}); renew it or "
            "shorten the responses (--days)."
        )
    if revocation.for_certificate(ws.db, cert_id) is not None:
        raise ValidationError(f"The responder certificate {cert_id} is revoked.")
    if key.public_key() != cert.public_key():
        raise ValidationError(f"The key given is not the key of responder certificate {cert_id}.")
    return Responder(key, cert, cert_id)


# --- signing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Signing:
    issuer_name_hash: bytes
    issuer_key_hash: bytes
    responder_cert: x509.Certificate
    delegated: bool
    key: keys.PrivateKey
    hash: hashes.SHA256 | hashes.SHA384
    this_update: datetime
    next_update: datetime

    @classmethod
    def of(cls, the_plan: OcspPlan, responder: Responder) -> _Signing:
        issuer = the_plan.issuer
        return cls(
            hashlib.sha1(issuer.subject.public_bytes(), usedforsecurity=False).digest(),
            hashlib.sha1(_key_bits(issuer), usedforsecurity=False).digest(),
            responder.certificate or issuer,
            responder.certificate is not None,
            responder.key,
            keys.signature_hash(responder.key.public_key()),
            the_plan.this_update,
            the_plan.next_update,
        )

    def builder(
        self, status: CertStatus, responder_cert: x509.Certificate | None = None
    ) -> ocsp.OCSPResponseBuilder:
        """`responder_cert`: a stand-in for the lint copy (its key is a throw-away one)."""
        responder_cert = responder_cert or self.responder_cert
        revoked = status.revoked_at is not None
        reason = status.reason
        # BR 7.3 as 7.2.2: a CA certificate's revocation always names its reason; a subscriber's
        # "unspecified" is the reason left out.
        with_reason = revoked and reason is not None and (reason != "unspecified" or status.is_ca)
        b = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                self.issuer_name_hash,
                self.issuer_key_hash,
                status.serial,
                hashes.SHA1(),  # noqa: S303 - the CertID hash OCSP clients send (RFC 6960, 5019)
                ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
                self.this_update,
                self.next_update,
                status.revoked_at if revoked else None,
                revocation.REASONS[reason] if with_reason and reason else None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, responder_cert)
        )
        if self.delegated:
            b = b.certificates([responder_cert])
        return b

    def sign(self, status: CertStatus) -> bytes:
        """One response, its signature verified under the responder's key before it is kept."""
        response = self.builder(status).sign(self.key, self.hash)
        _verify(response, self.responder_cert)
        return response.public_bytes(serialization.Encoding.DER)


def _key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's value, which the CertID's issuerKeyHash is over."""
    key = cert.public_key()
    if not isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise ValidationError("Only RSA and EC CAs sign OCSP responses here.")
    return subject_public_key_bits(key)


def _verify(response: ocsp.OCSPResponse, signer: x509.Certificate) -> None:
    key = signer.public_key()
    algorithm = response.signature_hash_algorithm
    try:
        if isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(
                response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm
            )
        else:
            raise CheckFailedError("The responder's key type cannot sign OCSP responses here.")
    except InvalidSignature as exc:
        raise CheckFailedError(
            f"The OCSP response for serial {response.serial_number:X} does not verify; nothing "
            "was exported."
        ) from exc


def _lint_samples(signing: _Signing, statuses: Sequence[CertStatus]) -> tuple[lint.LintReport, ...]:
    """pkilint's RFC 6960 lints on one response of each status (the responses differ in serial,
    status and time only), before the real key signs anything; any finding at WARNING or above
    stops the batch."""
    samples = [
        next((s for s in statuses if s.status == kind), None) for kind in ("good", "revoked")
    ]
    reports = []
    throwaway = _throwaway(signing.key)
    stand_in = _stand_in(signing.responder_cert, throwaway)
    for sample in (s for s in samples if s is not None):
        copy = signing.builder(sample, stand_in).sign(throwaway, signing.hash)
        report = lint.lint_ocsp_response(copy.public_bytes(serialization.Encoding.DER))
        if not report.ok:
            raise CheckFailedError(
                f"pkilint found problems in the {sample.status} OCSP response, so none was "
                "signed: " + "; ".join(str(f) for f in report.blocking)
            )
        reports.append(report)
    return tuple(reports)


def _stand_in(real: x509.Certificate, key: keys.PrivateKey) -> x509.Certificate:
    """The responder's certificate with the throw-away key in it, so that the lint copy has the
    same shape (responder id by key hash, the certificate when delegated)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(real.subject)
        .issuer_name(real.issuer)
        .public_key(key.public_key())
        .serial_number(real.serial_number)
        .not_valid_before(real.not_valid_before_utc)
        .not_valid_after(real.not_valid_after_utc)
    )
    for extension in real.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return builder.sign(key, keys.signature_hash(key.public_key()))


def _throwaway(key: keys.PrivateKey) -> keys.PrivateKey:
    return lint_then_sign.throwaway_like(key.public_key())


def _sign_into(
    staging: Path,
    signing: _Signing,
    the_plan: OcspPlan,
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool],
) -> list[dict[str, Any]]:
    """Every response signed, verified and written into `staging`, in chunks on THREADS
    threads (signatures release the interpreter lock, file creation waits on the disk: one
    thread writes while another signs). The manifest entries, in the plan's order."""
    statuses = the_plan.statuses
    prefix = certid_prefix(the_plan.issuer)
    chunks = [statuses[i : i + _CHUNK] for i in range(0, len(statuses), _CHUNK)]

    def one_chunk(chunk: Sequence[CertStatus]) -> list[dict[str, Any]]:
        if cancelled():
            return []
        return _write_chunk(staging, prefix, [(s, signing.sign(s)) for s in chunk])

    listed: list[dict[str, Any]] = []
    with ThreadPoolExecutor(THREADS, thread_name_prefix="pkiadmin-ocsp") as pool:
        for part in pool.map(one_chunk, chunks):
            if cancelled():
                raise CheckFailedError("Cancelled: no OCSP response was exported.")
            listed += part
            if progress is not None:
                progress(len(listed), len(statuses))
    if len(listed) != len(statuses):
        raise CheckFailedError("Cancelled: no OCSP response was exported.")
    # Post-sign: the first and last responses say what the plan says, about its serials.
    for status, entry in ((statuses[0], listed[0]), (statuses[-1], listed[-1])):
        single = ocsp.load_der_ocsp_response((staging / entry["files"][0]).read_bytes())
        if single.serial_number != status.serial or (
            single.certificate_status.name.lower() != status.status
        ):
            raise CheckFailedError(
                "A signed OCSP response differs from its plan; nothing exported."
            )
    return listed


# --- export --------------------------------------------------------------------------------


def certid_prefix(issuer: x509.Certificate) -> str:
    """`<issuerNameHash>-<issuerKeyHash>-` (SHA-1, hex): the CertID an OCSP request carries,
    without the serial."""
    name_hash = hashlib.sha1(issuer.subject.public_bytes(), usedforsecurity=False).hexdigest()
    key_hash = hashlib.sha1(_key_bits(issuer), usedforsecurity=False).hexdigest()
    return f"{name_hash}-{key_hash}-"


def _write_chunk(
    staging: Path, prefix: str, pairs: Sequence[tuple[CertStatus, bytes]]
) -> list[dict[str, Any]]:
    listed = []
    for status, der in pairs:
        serial = status.serial_hex.upper()
        serial_name, certid = f"by-serial/{serial}.der", f"by-certid/{prefix}{serial}.der"
        (staging / serial_name).write_bytes(der)
        try:
            os.link(staging / serial_name, staging / certid)
        except OSError:  # a file system without hard links: a copy
            (staging / certid).write_bytes(der)
        listed.append(
            {
                "serial": serial,
                "status": status.status,
                "revoked_at": status.revoked_at.isoformat() if status.revoked_at else None,
                "reason": status.reason,
                "files": [serial_name, certid],
                "sha256": hashlib.sha256(der).hexdigest(),
            }
        )
    return listed


@dataclass(frozen=True)
class Staged:
    """Responses signed and written into a hidden folder, not yet published or recorded."""

    plan: OcspPlan
    responder: Responder
    staging: Path
    folder: Path
    listed: tuple[dict[str, Any], ...]
    manifest: bytes
    reports: tuple[lint.LintReport, ...]

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def stage(
    the_plan: OcspPlan,
    responder: Responder,
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Staged:
    """Lint, sign and write every response into a hidden staging folder next to `folder`."""
    if folder.exists() and any(folder.iterdir()):
        raise StorageError(f"{folder} is not empty; pkiadmin never overwrites exported responses.")
    signing = _Signing.of(the_plan, responder)
    reports = _lint_samples(signing, the_plan.statuses)
    staging = folder.with_name(f".{folder.name}.partial")
    try:
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "by-serial").mkdir(parents=True)
        (staging / "by-certid").mkdir()
        listed = _sign_into(staging, signing, the_plan, progress, cancelled)
        manifest = _manifest(the_plan, responder, listed)
        (staging / MANIFEST).write_bytes(manifest)
        with (staging / MANIFEST).open("rb") as handle:
            os.fsync(handle.fileno())
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if not isinstance(exc, OSError):
            raise
        raise StorageError(
            f"Writing the OCSP responses to {folder} failed ({exc.strerror}); nothing was "
            "exported. Free space and sign again."
        ) from exc
    return Staged(the_plan, responder, staging, folder, tuple(listed), manifest, reports)


def publish(ws: Workspace, staged: Staged, ceremony_id: int | None = None) -> OcspExport:
    """Rename the staged folder into place, and record the batch and its audit entry in one
    transaction (the caller's, if it has one: a ceremony's finish)."""
    the_plan, responder, folder = staged.plan, staged.responder, staged.folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists():
            folder.rmdir()
        staged.staging.rename(folder)
    except OSError as exc:
        staged.discard()
        raise StorageError(
            f"Publishing the OCSP responses in {folder} failed ({exc.strerror}); nothing was "
            "exported."
        ) from exc
    digest = hashlib.sha256(staged.manifest).hexdigest()
    revoked = sum(1 for s in the_plan.statuses if s.revoked_at is not None)
    objects: dict[str, Any] = {"ca_id": the_plan.ca_id}
    if ceremony_id is not None:
        objects["ceremony_id"] = ceremony_id
    try:
        with ws.db.atomic():
            cursor = ws.db.execute(
                "INSERT INTO ocsp_batches (ca_id, this_update, next_update, responses, revoked,"
                " responder_cert_id, manifest_sha256, folder, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    the_plan.ca_id,
                    the_plan.this_update.isoformat(),
                    the_plan.next_update.isoformat(),
                    len(staged.listed),
                    revoked,
                    responder.cert_id,
                    digest,
                    str(folder),
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )
            batch_id = int(cursor.lastrowid or 0)
            audit.append(
                ws.db,
                "ocsp.sign",
                {**objects, "batch_id": batch_id},
                artefacts=(audit.Artefact(str(folder / MANIFEST), digest),),
                details={
                    "mode": "quick" if ceremony_id is None else "ceremony",
                    "responses": len(staged.listed),
                    "revoked": revoked,
                    "this_update": the_plan.this_update.isoformat(),
                    "next_update": the_plan.next_update.isoformat(),
                    "responder": responder.describe(the_plan),
                    "responder_cert_id": responder.cert_id,
                    "lint": [str(f) for r in staged.reports for f in r.findings],
                    "notes": list(the_plan.notes),
                },
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # not recorded: not exported
        raise
    return OcspExport(
        batch_id,
        folder,
        digest,
        len(staged.listed),
        revoked,
        the_plan.this_update,
        the_plan.next_update,
        staged.reports,
    )


def export(
    ws: Workspace,
    the_plan: OcspPlan,
    responder: Responder,
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> OcspExport:
    """Lint, sign and write every response into a hidden staging folder, renamed into place (a
    half-written folder is never there), then record the batch and its audit entry in one
    transaction."""
    return publish(ws, stage(the_plan, responder, folder, progress, cancelled))


def _manifest(the_plan: OcspPlan, responder: Responder, listed: Sequence[dict[str, Any]]) -> bytes:
    issuer_der = the_plan.issuer.public_bytes(serialization.Encoding.DER)
    signer = responder.certificate or the_plan.issuer
    return json.dumps(
        {
            "format": FORMAT,
            "ca": the_plan.ca_name,
            "issuer_sha256": hashlib.sha256(issuer_der).hexdigest(),
            "responder": {
                "kind": "ca" if responder.certificate is None else "delegated",
                "subject": signer.subject.rfc4514_string(),
                "sha256": hashlib.sha256(
                    signer.public_bytes(serialization.Encoding.DER)
                ).hexdigest(),
            },
            "this_update": the_plan.this_update.isoformat(),
            "next_update": the_plan.next_update.isoformat(),
            "certid_hash": "sha1",
            "responses": listed,
        },
        indent=1,
        sort_keys=True,
    ).encode("utf-8")


def default_folder(ws: Workspace, the_plan: OcspPlan) -> Path:
    """exports/ocsp/<ca>-<thisUpdate>, with -2, -3… when signed twice in one second."""
    stamp = the_plan.this_update.strftime("%Y%m%dT%H%M%SZ")
    base = ws.exports_dir / "ocsp" / f"{file_stem(the_plan.ca_name)}-{stamp}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def issue_with_key(
    ws: Workspace,
    ca_id: int,
    ca_key: keys.PrivateKey,
    folder: Path | None = None,
    days: int | None = None,
    delegated: tuple[int, keys.PrivateKey] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> OcspExport:
    """Sign and export every response of the CA with an unlocked key (the CA's, or the
    delegated responder's `delegated` = (certificate id, key))."""
    the_plan = plan(ws, ca_id, days)
    responder = (
        Responder(ca_key)
        if delegated is None
        else delegated_responder(ws, the_plan, delegated[0], delegated[1])
    )
    return export(
        ws, the_plan, responder, folder or default_folder(ws, the_plan), progress, cancelled
    )


def issue(
    ws: Workspace,
    ca_id: int,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
    folder: Path | None = None,
    days: int | None = None,
    delegated: tuple[int, keys.PrivateKey] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> OcspExport:
    """Unlock the CA's key (unless a delegated responder signs), sign, export."""
    if delegated is not None:
        return issue_with_key(ws, ca_id, delegated[1], folder, days, delegated, progress)
    key = intermediate.unlock_issuer_key(ws, ca_id, key_passphrase, share_words)
    try:
        return issue_with_key(ws, ca_id, key, folder, days, None, progress)
    finally:
        intermediate.release_key(key)


MAX_KEY_FILE = 1 << 20


def load_responder_key(path: Path, password: str) -> keys.PrivateKey:
    """The delegated responder's key from the PKCS#12 or encrypted PKCS#8 file `ca issue` wrote
    (never an unencrypted one); a wrong password says so."""
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise ValidationError(f"{path.name} is over a megabyte; it is not a key file.")
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{path} cannot be read ({exc.strerror}).") from None
    if b"-----BEGIN" in data:
        return keys.decrypt_pkcs8(data, password)
    try:
        key, _cert, _more = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    except ValueError:
        raise ValidationError(
            f"{path.name} could not be opened: the password is wrong, or it is not a PKCS#12 "
            "file or an encrypted PKCS#8 key."
        ) from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise ValidationError(f"{path.name} holds no RSA or EC key.")
    return key


def responder_candidates(db: Database, ca_id: int) -> tuple[tuple[int, str], ...]:
    """(certificate id, subject) of the unrevoked, unexpired OCSP responder certificates the CA
    issued (what a delegated responder can be; delegated_responder checks the rest)."""
    cert_id = authorities.get_authority(db, ca_id).cert_id
    rows = db.execute(
        "SELECT c.id, c.subject FROM certificates c LEFT JOIN revocations r ON r.cert_id = c.id"
        " WHERE c.issuer_cert_id = ? AND c.id != ? AND r.id IS NULL AND c.is_ca = 0"
        " AND (' ' || c.eku || ' ') LIKE '% OCSPSigning %' AND c.not_after > ? ORDER BY c.id DESC",
        (cert_id, cert_id, datetime.now(UTC).isoformat()),
    )
    return tuple((int(r[0]), str(r[1])) for r in rows)


def has_certificates(db: Database, ca_id: int) -> bool:
    """Whether the CA has issued any certificate this workspace knows of (anything to answer for)."""
    cert_id = authorities.get_authority(db, ca_id).cert_id
    return (
        db.execute(
            "SELECT 1 FROM certificates WHERE issuer_cert_id = ? AND id != ? LIMIT 1",
            (cert_id, cert_id),
        ).fetchone()
        is not None
    )


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRecord:
    id: int
    ca_id: int
    this_update: datetime
    next_update: datetime
    responses: int
    revoked: int
    folder: str


def latest(db: Database, ca_id: int) -> BatchRecord | None:
    row = db.execute(
        "SELECT id, ca_id, this_update, next_update, responses, revoked, folder FROM ocsp_batches"
        " WHERE ca_id = ? ORDER BY id DESC LIMIT 1",
        (ca_id,),
    ).fetchone()
    if row is None:
        return None
    return BatchRecord(
        int(row[0]),
        int(row[1]),
        datetime.fromisoformat(row[2]),
        datetime.fromisoformat(row[3]),
        int(row[4]),
        int(row[5]),
        str(row[6]),
    )


def describe(data: bytes, issuers: Sequence[x509.Certificate] = ()) -> list[str]:
    """An OCSP response as a person reads it, its signature checked against the CA that issued
    the certificate (one of `issuers`) or the delegated responder it carries."""
    if len(data) > 1 << 20:
        raise ValidationError("This is over a megabyte; an OCSP response is a few kilobytes.")
    try:
        response = ocsp.load_der_ocsp_response(data)
    except ValueError as exc:
        raise ValidationError(f"This is not a DER OCSP response: {plain_error(exc)}.") from None
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return [f"Response status: {response.response_status.name.lower()}"]
    lines = [
        "Response status: successful",
        f"Produced at:     {response.produced_at_utc:%Y-%m-%d %H:%M:%S} UTC",
    ]
    embedded = list(response.certificates)
    for single in response.responses:
        lines += [
            f"Serial:          {single.serial_number:X}",
            f"Status:          {single.certificate_status.name.lower()}",
            f"This update:     {single.this_update_utc:%Y-%m-%d %H:%M:%S} UTC",
            "Next update:     "
            + (
                f"{single.next_update_utc:%Y-%m-%d %H:%M:%S} UTC" if single.next_update_utc else "-"
            ),
        ]
        if single.certificate_status is ocsp.OCSPCertStatus.REVOKED:
            reason = single.revocation_reason
            lines.append(
                f"Revoked:         {single.revocation_time_utc:%Y-%m-%d %H:%M:%S} UTC, "
                f"reason {_REASON_NAMES.get(reason, 'not given') if reason else 'not given'}"
            )
        issuer = _issuer_of(single, issuers)
        if issuer is None:
            lines.append("Signature:       not checked (the issuing CA is not known here)")
            continue
        signer = embedded[0] if embedded else issuer
        if embedded and not _authorised(embedded[0], issuer):
            lines.append(
                "Signature:       NOT AUTHORISED: the responder certificate it carries is not an "
                f"OCSP responder of {issuer.subject.rfc4514_string()}"
            )
            continue
        try:
            _verify(response, signer)
        except CheckFailedError:
            lines.append("Signature:       DOES NOT VERIFY")
        else:
            by = "delegated responder " if embedded else ""
            lines.append(f"Signature:       verified, by {by}{signer.subject.rfc4514_string()}")
    return lines


def _authorised(responder: x509.Certificate, issuer: x509.Certificate) -> bool:
    """RFC 6960 4.2.2.2: a delegated responder is issued by the CA and has OCSPSigning."""
    try:
        responder.verify_directly_issued_by(issuer)
        ekus = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    return ExtendedKeyUsageOID.OCSP_SIGNING in ekus


_REASON_NAMES = {flag: name for name, flag in revocation.REASONS.items()}


def _issuer_of(
    single: ocsp.OCSPSingleResponse, issuers: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    for issuer in issuers:
        name_hash = hashlib.sha1(issuer.subject.public_bytes(), usedforsecurity=False).digest()
        if name_hash == single.issuer_name_hash:
            return issuer
    return None


def known_issuers(db: Database) -> list[x509.Certificate]:
    """The certificates of the CAs held here, to check a response against."""
    return [inventory.load_certificate(db, a.cert_id) for a in authorities.list_authorities(db)]
