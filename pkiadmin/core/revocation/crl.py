"""CRLs for CAs held here: strictly increasing numbers that are never reused, lint-then-sign, storage."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiadmin.core.base.errors import CheckFailedError, ValidationError
from pkiadmin.core.integrity import checkpoint
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities, intermediate
from pkiadmin.core.issuance import lint_then_sign as issuance
from pkiadmin.core.issuance.authorities import Authority
from pkiadmin.core.keys import files as keys
from pkiadmin.core.keys.signer import FileSigner, Signer
from pkiadmin.core.revocation import records as revocation
from pkiadmin.core.revocation.records import Revocation
from pkiadmin.core.workspace import audit, clock
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509 import crl_entries, lint

if TYPE_CHECKING:
    from sqlite_utils import Database

MAX_PERIOD_DAYS = 365  # BR 4.9.7: an offline CA's nextUpdate at most twelve months after thisUpdate


@dataclass(frozen=True)
class CrlSettings:
    period_days: int
    overlap_days: int
    last_number: int


@dataclass(frozen=True)
class CrlRecord:
    id: int
    ca_id: int
    ca_name: str
    number: int
    this_update: datetime
    next_update: datetime
    entries: int
    sha256: str
    ceremony_id: int | None


@dataclass(frozen=True)
class CrlDraft:
    """What the next CRL of a CA will say (its number is reserved only when it is signed)."""

    ca_id: int
    ca_name: str
    this_update: datetime
    next_update: datetime
    entries: tuple[Revocation, ...]
    arl: bool  # a CRL of CA certificates only (root, policy CAs): issuingDistributionPoint says so
    notes: tuple[str, ...]

    def describe(self) -> list[str]:
        lines = [
            f"CRL of '{self.ca_name}'{' (CA certificates only)' if self.arl else ''}",
            f"  thisUpdate {self.this_update:%Y-%m-%d %H:%M:%S} UTC, nextUpdate {self.next_update:%Y-%m-%d %H:%M:%S} UTC",
            f"  {len(self.entries)} revoked certificate(s)",
        ]
        lines += [
            f"    serial {r.serial}: {r.subject}, {r.reason}, revoked {r.revoked_at:%Y-%m-%d %H:%M} UTC"
            for r in self.entries
        ]
        lines += [f"  NOTE: {n}" for n in self.notes]
        return lines


@dataclass(frozen=True)
class SignedCrl:
    draft: CrlDraft
    number: int
    crl: x509.CertificateRevocationList
    lint_before: lint.LintReport
    lint_after: lint.LintReport
    checkpoint: bytes = b""  # the audit log's head when the number was reserved (checkpoint.py)
    checkpoint_sig: bytes = b""

    @functools.cached_property
    def der(self) -> bytes:
        """The CRL's DER, encoded once (a 100,000-entry CRL is 4 MB)."""
        return self.crl.public_bytes(serialization.Encoding.DER)


def settings(db: Database, ca_id: int) -> CrlSettings:
    row = db.execute(
        "SELECT crl_period_days, crl_overlap_days, crl_last_number FROM authorities WHERE id = ?",
        (ca_id,),
    ).fetchone()
    if row is None:
        authorities.get_authority(db, ca_id)  # raises the not-found message
    return CrlSettings(int(row[0]), int(row[1]), int(row[2]))


def set_settings(ws: Workspace, ca_id: int, period_days: int, overlap_days: int) -> CrlSettings:
    authority = authorities.get_authority(ws.db, ca_id)
    if not 1 <= period_days <= MAX_PERIOD_DAYS:
        raise ValidationError(
            f"The CRL period must be between 1 and {MAX_PERIOD_DAYS} days (at most twelve months)."
        )
    if not 0 <= overlap_days < period_days:
        raise ValidationError(
            "The overlap must be at least 0 days and shorter than the CRL period."
        )
    if datetime.now(UTC) + timedelta(days=period_days) > authority.not_after:
        raise ValidationError(
            f"A {period_days}-day CRL period reaches beyond the validity of '{authority.name}' "
            f"(notAfter {authority.not_after:%Y-%m-%d}); choose a shorter period."
        )
    with ws.db.atomic():
        ws.db.execute(
            "UPDATE authorities SET crl_period_days = ?, crl_overlap_days = ? WHERE id = ?",
            (period_days, overlap_days, ca_id),
        )
        audit.append(
            ws.db,
            "crl.settings",
            {"ca_id": ca_id},
            details={"period_days": period_days, "overlap_days": overlap_days},
        )
    return settings(ws.db, ca_id)


def _record(row: Mapping[str, Any]) -> CrlRecord:
    return CrlRecord(
        id=int(row["id"]),
        ca_id=int(row["ca_id"]),
        ca_name=str(row["name"]),
        number=int(row["number"]),
        this_update=datetime.fromisoformat(row["this_update"]),
        next_update=datetime.fromisoformat(row["next_update"]),
        entries=int(row["entries"]),
        sha256=str(row["sha256"]),
        ceremony_id=row["ceremony_id"],
    )


_SELECT = (
    "SELECT l.id, l.ca_id, a.name, l.number, l.this_update, l.next_update, l.entries, l.sha256,"
    " l.ceremony_id FROM crls l JOIN authorities a ON a.id = l.ca_id"
)


def list_crls(db: Database, ca_id: int | None = None) -> tuple[CrlRecord, ...]:
    where, args = (" WHERE l.ca_id = ?", [ca_id]) if ca_id is not None else ("", [])
    return tuple(_record(r) for r in db.query(f"{_SELECT}{where} ORDER BY l.id", args))


def latest(db: Database, ca_id: int) -> CrlRecord | None:
    rows = list(db.query(f"{_SELECT} WHERE l.ca_id = ? ORDER BY l.number DESC LIMIT 1", [ca_id]))
    return _record(rows[0]) if rows else None


def get(db: Database, crl_id: int) -> CrlRecord:
    rows = list(db.query(f"{_SELECT} WHERE l.id = ?", [crl_id]))
    if not rows:
        raise ValidationError(
            f"There is no CRL with id {crl_id}. List them with: pkiadmin-cli crl show"
        )
    return _record(rows[0])


def load(db: Database, crl_id: int) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(load_der(db, crl_id))


def load_der(db: Database, crl_id: int) -> bytes:
    """The signed CRL's DER, as stored."""
    get(db, crl_id)
    row = db.execute("SELECT der FROM crls WHERE id = ?", (crl_id,)).fetchone()
    return bytes(row[0])


def _is_ca_only(cert: x509.Certificate, authority: Authority) -> bool:
    """The root and policy CAs sign only CA certificates; an issuing CA (path length 0) signs end entities."""
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    return authority.kind == "root" or bc.path_length is None or bc.path_length > 0


def prepare(ws: Workspace, ca_id: int, now: datetime | None = None) -> CrlDraft:
    """The next CRL's dates and entries; refuses a clock set before the previous thisUpdate."""
    authority = authorities.get_authority(ws.db, ca_id)
    issuer_cert = inventory.load_certificate(ws.db, authority.cert_id)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    previous = latest(ws.db, ca_id)
    notes = []
    if previous is not None and now < previous.this_update:
        found = clock.problem(ws.db, now)
        if found:
            raise ValidationError(
                f"The clock ({now:%Y-%m-%d %H:%M:%S} UTC) is before the thisUpdate of CRL {previous.number} of "
                f"'{authority.name}' ({previous.this_update:%Y-%m-%d %H:%M:%S} UTC). Set the clock right, or "
                f"confirm it ({clock.CONFIRM_COMMAND}); nothing was signed."
            )
        # The clock agrees with the audit log (or was confirmed): CRL n was signed with the clock
        # ahead, and relying parties reject it as not yet valid. The next number supersedes it.
        notes.append(
            f"CRL {previous.number} is dated {previous.this_update:%Y-%m-%d %H:%M} UTC, after the clock: "
            "it was signed with the clock ahead; this CRL supersedes it."
        )
    if now >= authority.not_after:
        raise ValidationError(f"'{authority.name}' has expired; it cannot sign a CRL.")
    period = settings(ws.db, ca_id).period_days
    next_update = now + timedelta(days=period)
    if next_update > authority.not_after:
        next_update = authority.not_after
        notes.append(
            f"nextUpdate capped at the issuer's notAfter, {next_update:%Y-%m-%d %H:%M:%S} UTC."
        )
    entries = revocation.list_revocations(ws.db, ca_id)
    notes += [
        f"The revocation of CA certificate {r.cert_id} ({r.subject}) was recorded with reason "
        "unspecified, before pkiadmin asked for a meaningful one; its entry carries reasonCode "
        "unspecified (the Baseline Requirements 7.2.2 ask for a meaningful reason)."
        for r in entries
        if r.is_ca and r.reason == "unspecified"
    ]
    stranger = ws.db.execute(
        "SELECT r.id, r.serial FROM revocations r JOIN certificates c ON c.id = r.cert_id"
        " JOIN certificates i ON i.id = ? WHERE r.ca_id = ? AND c.issuer != i.subject LIMIT 1",
        (authority.cert_id, ca_id),
    ).fetchone()
    if stranger:
        raise CheckFailedError(
            f"Revocation {stranger[0]} (serial {stranger[1]}) names a certificate not issued by '{authority.name}'; "
            "the inventory is inconsistent, so no CRL was signed."
        )
    return CrlDraft(
        ca_id,
        authority.name,
        now,
        next_update,
        entries,
        _is_ca_only(issuer_cert, authority),
        tuple(notes),
    )


def _sha256_of(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def check_current(ws: Workspace, draft: CrlDraft) -> None:
    """In the caller's write transaction: the draft still says what the database says. Every
    revocation recorded for the CA is in it (so nothing an earlier CRL listed drops out, and
    nothing recorded since it was prepared is left behind), and its thisUpdate is not before
    that of any CRL already signed. Two signings that overlap cannot both pass."""
    listed = {e.id for e in draft.entries}
    # Ids only (a CRL of 100,000 entries is checked twice): the missing one is read in full.
    recorded_ids = {
        int(r[0])
        for r in ws.db.execute("SELECT id FROM revocations WHERE ca_id = ?", (draft.ca_id,))
    }
    missing_ids = recorded_ids - listed
    if missing_ids:
        first = next(
            r for r in revocation.list_revocations(ws.db, draft.ca_id) if r.id == min(missing_ids)
        )
        published = f", already listed in CRL {first.crl_number}" if first.crl_number else ""
        raise CheckFailedError(
            f"The revocation of serial {first.serial} ({first.reason}{published}) was recorded after "
            f"this CRL of '{draft.ca_name}' was prepared, and the CRL does not list it; nothing was "
            "signed. Prepare the CRL again."
        )
    gone = listed - recorded_ids
    if gone:
        raise CheckFailedError(
            f"This CRL of '{draft.ca_name}' lists a revocation that is no longer in the database "
            f"(id {min(gone)}); nothing was signed. Run pkiadmin-cli audit verify."
        )
    _check_earlier_crl(ws, draft)
    # CRLs dated after the clock (signed with the clock ahead) do not count: the next CRL must be
    # able to supersede them once the clock is right.
    row = ws.db.execute(
        "SELECT max(this_update) FROM crls WHERE ca_id = ? AND this_update <= ?",
        (draft.ca_id, datetime.now(UTC).replace(microsecond=0).isoformat()),
    ).fetchone()
    if row and row[0] and datetime.fromisoformat(row[0]) > draft.this_update:
        raise CheckFailedError(
            f"A CRL of '{draft.ca_name}' with a later thisUpdate ({row[0]}) was signed after this one "
            "was prepared; a CRL's thisUpdate never goes backwards, so nothing was signed. Prepare "
            "the CRL again."
        )


def _check_earlier_crl(ws: Workspace, draft: CrlDraft) -> None:
    """Every serial the CA's latest signed CRL lists (and so every earlier one: each CRL lists
    all before it) is in the draft. A revocation row deleted, or its serial changed, behind
    pkiadmin's back is caught here instead of silently dropping out of the next CRL."""
    row = ws.db.execute(
        "SELECT number, der FROM crls WHERE ca_id = ? ORDER BY number DESC LIMIT 1", (draft.ca_id,)
    ).fetchone()
    if row is None:
        return
    listed = {int(e.serial, 16) for e in draft.entries}
    dropped = sorted(
        e.serial_number for e in x509.load_der_x509_crl(row[1]) if e.serial_number not in listed
    )
    if dropped:
        raise CheckFailedError(
            f"CRL {row[0]} of '{draft.ca_name}' lists serial {dropped[0]:X}"
            f"{f' and {len(dropped) - 1} more' if len(dropped) > 1 else ''}, but the revocations "
            "in the database do not: they were removed or changed outside pkiadmin. Nothing was "
            "signed; run pkiadmin-cli audit verify and restore the database from a backup."
        )


def reserve_number(ws: Workspace, ca_id: int, draft: CrlDraft | None = None) -> int:
    """Take the next CRL number in its own committed transaction, so a failed or killed signing
    can never cause a number to be used twice; with the draft, checked in that transaction."""
    authority = authorities.get_authority(ws.db, ca_id)
    issuer_cert = inventory.load_certificate(ws.db, authority.cert_id)
    # Never below a number a signed checkpoint or an exported CRL already carries (a restored
    # database, a lost -wal file), so no number is ever used twice.
    floor = checkpoint.crl_floor(ws.db, ws.exports_dir, _sha256_of(issuer_cert), issuer_cert)
    with ws.db.atomic():
        if draft is not None:
            check_current(ws, draft)
        ws.db.execute(
            "UPDATE authorities SET crl_last_number = max(crl_last_number, ?) + 1 WHERE id = ?",
            (floor, ca_id),
        )
        number = settings(ws.db, ca_id).last_number
        audit.append(ws.db, "crl.number-reserved", {"ca_id": ca_id, "number": number})
    return number


def builder(ws: Workspace, draft: CrlDraft, number: int) -> x509.CertificateRevocationListBuilder:
    authority = authorities.get_authority(ws.db, draft.ca_id)
    issuer_cert = inventory.load_certificate(ws.db, authority.cert_id)
    ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    revoked: list[x509.RevokedCertificate] = []
    for entry in draft.entries:
        item = (
            x509.RevokedCertificateBuilder()
            .serial_number(int(entry.serial, 16))
            .revocation_date(entry.revoked_at)
        )
        # RFC 5280 5.3.1 and BR 7.2.2: an end entity's "unspecified" is the reasonCode left out;
        # a CA certificate's entry always has one (an unspecified one recorded before pkiadmin
        # asked for a reason is written as such, and the draft says so).
        if entry.reason != "unspecified" or entry.is_ca:
            item = item.add_extension(
                x509.CRLReason(revocation.REASONS[entry.reason]), critical=False
            )
        if entry.invalidity_date is not None:
            item = item.add_extension(
                x509.InvalidityDate(entry.invalidity_date.replace(tzinfo=None)), critical=False
            )
        revoked.append(item.build())
    # Passing the entries at once: add_revoked_certificate copies the list each time (quadratic).
    b = (
        x509.CertificateRevocationListBuilder(revoked_certificates=revoked)
        .issuer_name(issuer_cert.subject)
        .last_update(draft.this_update)
        .next_update(draft.next_update)
        .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    if draft.arl:
        urls = intermediate.ca_settings(ws.db, draft.ca_id).get("crl_urls", [])
        if issuer_cert.issuer == issuer_cert.subject:
            # A root's own certificate has no CRL distribution point, and a relying party that
            # checks the whole chain (openssl -crl_check_all, nginx ssl_crl, VERIFY_CRL_CHECK_CHAIN)
            # checks the root too: a distribution point name in the IDP would put the root out
            # of the CRL's scope (OpenSSL error 44, "different CRL scope") and fail every chain.
            # Without one the CRL covers every CA certificate the root signed, whatever CDP
            # they carry (RFC 5280 5.2.5, 6.3.3 b.2.i).
            urls = []
        b = b.add_extension(
            x509.IssuingDistributionPoint(
                full_name=[x509.UniformResourceIdentifier(u) for u in urls] or None,
                relative_name=None,
                only_contains_user_certs=False,
                only_contains_ca_certs=True,
                only_some_reasons=None,
                indirect_crl=False,
                only_contains_attribute_certs=False,
            ),
            critical=True,  # RFC 5280 5.2.5
        )
    return b


def sign(
    ws: Workspace, draft: CrlDraft, signer: Signer, waivers: Mapping[str, str] | None = None
) -> SignedCrl:
    """Reserve the number, lint a throw-away-key copy, sign the same TBS, verify, lint again."""
    authority = authorities.get_authority(ws.db, draft.ca_id)
    issuer_cert = inventory.load_certificate(ws.db, authority.cert_id)
    if signer.public_key() != issuer_cert.public_key():
        raise CheckFailedError(
            f"The key does not belong to '{authority.name}'; nothing was signed."
        )
    number = reserve_number(ws, draft.ca_id, draft)
    b = builder(ws, draft, number)
    throwaway = issuance.throwaway_like(signer.public_key())
    digest = keys.signature_hash(signer.public_key())
    copy = b.sign(throwaway, digest)
    unspecified = [int(r.serial, 16) for r in draft.entries if r.is_ca]
    large = len(draft.entries) > FULL_LINT_ENTRIES
    if large:
        # pkilint on a CRL with one entry of each shape this one has (its structure, extensions
        # and entry extensions), and pkiadmin's own check of every entry of the full TBS.
        sample = builder(ws, dataclasses.replace(draft, entries=representatives(draft)), number)
        before = lint.lint_crl(sample.sign(throwaway, digest), draft.arl, waivers)
    else:
        before = lint.lint_crl(copy, draft.arl, waivers)
    entries_before = crl_entries.as_report(crl_entries.check(copy, unspecified), len(draft.entries))
    if not entries_before.ok:
        raise CheckFailedError(
            f"CRL {number} has defective entries, so it was not signed (the number is used up): "
            + "; ".join(str(f.message) for f in entries_before.blocking)
        )
    missing = reasonless_ca_entries(copy, draft)
    if missing:  # pkilint's profiles do not check this (BR 7.2.2)
        raise CheckFailedError(
            f"CRL {number} would list CA certificate(s) without a reasonCode (serial "
            f"{', '.join(missing)}), which the Baseline Requirements 7.2.2 forbid; it was not "
            "signed (the number is used up)."
        )
    if not before.ok:
        raise CheckFailedError(
            f"pkilint found problems at WARNING or above, so CRL {number} was not signed (the number is "
            "used up): " + "; ".join(str(f) for f in before.blocking)
        )
    # The copy's parsed entries (cached by cryptography once iterated) go before the real CRL is
    # made: only its TBS is needed now (a CRL of 100,000 entries would hold both in memory).
    copy_tbs = copy.tbs_certlist_bytes
    del copy
    signed = signer.sign_crl(b)
    del b
    if signed.tbs_certlist_bytes != copy_tbs:
        raise CheckFailedError(
            "The signed CRL differs from the one that was linted; it was not stored."
        )
    if not signed.is_signature_valid(issuer_cert.public_key()):  # type: ignore[arg-type]
        raise CheckFailedError("The new CRL's signature does not verify; it was not stored.")
    # The signed TBS is the copy's, byte for byte (checked above), so its entries are the ones
    # checked before signing; a small CRL is linted whole by pkilint again.
    after = (
        crl_entries.as_report((), len(draft.entries), "the signed TBS equals the checked copy's")
        if large
        else lint.lint_crl(signed, draft.arl, waivers)
    )
    if not after.ok:
        raise CheckFailedError(
            "pkilint found problems in the signed CRL, so it was not stored: "
            + "; ".join(str(f) for f in after.blocking)
        )
    head = checkpoint.make(ws.db, authority.name, _sha256_of(issuer_cert), number)
    return SignedCrl(draft, number, signed, before, after, head, signer.sign_bytes(head))


FULL_LINT_ENTRIES = 1000  # above this, pkilint reads a representative CRL (see crl_entries)


def representatives(draft: CrlDraft) -> tuple[Revocation, ...]:
    """One entry of each shape the CRL's entries have (the extensions the builder writes
    depend on the reason, the invalidity date and whether the certificate is a CA's)."""
    chosen: dict[tuple[str, bool, bool], Revocation] = {}
    for entry in draft.entries:
        chosen.setdefault((entry.reason, entry.invalidity_date is None, entry.is_ca), entry)
    return tuple(chosen.values())


def reasonless_ca_entries(crl: x509.CertificateRevocationList, draft: CrlDraft) -> list[str]:
    """The serials (hex) of CA certificates the CRL lists without a reasonCode."""
    ca_serials = {int(r.serial, 16) for r in draft.entries if r.is_ca}
    found = []
    for entry in crl:
        if entry.serial_number not in ca_serials:
            continue
        if x509.CRLReason not in {type(e.value) for e in entry.extensions}:
            found.append(f"{entry.serial_number:X}")
    return found


def store(
    ws: Workspace, signed: SignedCrl, mode: str = "quick", ceremony_id: int | None = None
) -> int:
    """The CRL row, its entries marked as published, and the audit entry, in the caller's transaction."""
    draft = signed.draft
    check_current(ws, draft)  # again: another signing may have been stored while this one was
    der = signed.der
    digest = hashlib.sha256(der).hexdigest()
    cursor = ws.db.execute(
        "INSERT INTO crls (ca_id, number, this_update, next_update, entries, sha256, der, ceremony_id,"
        " checkpoint, checkpoint_sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            draft.ca_id,
            signed.number,
            draft.this_update.isoformat(),
            draft.next_update.isoformat(),
            len(draft.entries),
            digest,
            der,
            ceremony_id,
            signed.checkpoint or None,
            signed.checkpoint_sig or None,
        ),
    )
    ids = [e.id for e in draft.entries if e.pending]
    if ids:
        ws.db.execute(
            f"UPDATE revocations SET crl_number = ? WHERE id IN ({','.join('?' * len(ids))})",  # noqa: S608
            (signed.number, *ids),
        )
    objects: dict[str, Any] = {
        "ca_id": draft.ca_id,
        "crl_id": cursor.lastrowid,
        "number": signed.number,
    }
    if ceremony_id is not None:
        objects["ceremony_id"] = ceremony_id
    audit.append(
        ws.db,
        "crl.issue",
        objects,
        artefacts=(audit.Artefact(f"CRL {signed.number}", digest),),
        details={
            "mode": mode,
            "witnessed": mode != "quick",
            "this_update": draft.this_update.isoformat(),
            "next_update": draft.next_update.isoformat(),
            "entries": len(draft.entries),
            "newly_published": ids,
            "lint": [str(f) for f in signed.lint_after.findings],
            "notes": json.dumps(list(draft.notes)),
        },
    )
    return int(cursor.lastrowid or 0)


@dataclass(frozen=True)
class IssuedCrl:
    crl_id: int
    signed: SignedCrl


def issue(
    ws: Workspace,
    ca_id: int,
    key_passphrase: str | None = None,
    share_words: Sequence[str] | None = None,
    waivers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> IssuedCrl:
    """Quick mode: prepare, unlock, sign, store (audited as unwitnessed)."""
    key = intermediate.unlock_issuer_key(ws, ca_id, key_passphrase, share_words)
    try:
        return issue_with_key(ws, ca_id, key, waivers, now)
    finally:
        intermediate.release_key(key)


def issue_with_key(
    ws: Workspace,
    ca_id: int,
    key: keys.PrivateKey,
    waivers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    draft: CrlDraft | None = None,
) -> IssuedCrl:
    """prepare (or take the draft that was shown), sign with the unlocked key, store (audited
    as unwitnessed). Signing checks that the draft still lists every revocation recorded."""
    if draft is None:
        draft = prepare(ws, ca_id, now)
    elif draft.ca_id != ca_id:
        raise ValidationError(f"The CRL draft is for CA {draft.ca_id}, not CA {ca_id}.")
    signed = sign(ws, draft, FileSigner(key, f"key of {draft.ca_name}"), waivers)
    with ws.db.atomic():
        crl_id = store(ws, signed)
    return IssuedCrl(crl_id, signed)
