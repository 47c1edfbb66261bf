"""The database schema of a workspace and its forward migrations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


# 'PKIA' in ASCII: marks the SQLite file as pkiadmin's (PRAGMA application_id).
APPLICATION_ID = 0x504B4941

# MIGRATIONS[n] takes schema version n to n + 1. Never edit a released step; append new ones.
MIGRATIONS: Sequence[Sequence[str]] = (
    (
        """CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE certificates (
            id INTEGER PRIMARY KEY,
            serial_hex TEXT NOT NULL,
            issuer_hash TEXT NOT NULL,
            subject TEXT NOT NULL,
            issuer TEXT NOT NULL,
            common_name TEXT NOT NULL,
            not_before TEXT NOT NULL,
            not_after TEXT NOT NULL,
            key_algorithm TEXT NOT NULL,
            key_size INTEGER NOT NULL,
            signature_algorithm TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            sha1 TEXT NOT NULL,
            ski TEXT,
            aki TEXT,
            is_ca INTEGER NOT NULL,
            path_length INTEGER,
            issuer_cert_id INTEGER REFERENCES certificates(id),
            source TEXT NOT NULL CHECK (source IN ('issued', 'imported')),
            added_at TEXT NOT NULL,
            der BLOB NOT NULL,
            UNIQUE (issuer_hash, serial_hex)
        )""",
        "CREATE INDEX certificates_not_after ON certificates(not_after)",
        "CREATE INDEX certificates_issuer ON certificates(issuer_cert_id)",
        """CREATE TABLE authorities (
            id INTEGER PRIMARY KEY,
            cert_id INTEGER NOT NULL UNIQUE REFERENCES certificates(id),
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('root', 'intermediate')),
            key_backend TEXT NOT NULL,
            key_ref TEXT NOT NULL UNIQUE,
            ski_method TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            operation TEXT NOT NULL,
            objects TEXT NOT NULL,
            artefacts TEXT NOT NULL,
            details TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            entry_hash TEXT NOT NULL
        )""",
    ),
    (
        # Ceremonies and their step log; each event is written with its audit entry.
        """CREATE TABLE ceremonies (
            id INTEGER PRIMARY KEY,
            plan_id TEXT NOT NULL,
            purpose TEXT NOT NULL,
            plan_sha256 TEXT NOT NULL,
            plan_text TEXT NOT NULL,
            rehearsal INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'aborted', 'interrupted')),
            started_at TEXT NOT NULL,
            ended_at TEXT,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            ca_id INTEGER REFERENCES authorities(id),
            report_dir TEXT
        )""",
        """CREATE TABLE ceremony_events (
            id INTEGER PRIMARY KEY,
            ceremony_id INTEGER NOT NULL REFERENCES ceremonies(id),
            at TEXT NOT NULL,
            step TEXT NOT NULL,
            kind TEXT NOT NULL,
            person TEXT,
            detail TEXT NOT NULL
        )""",
        "CREATE INDEX ceremony_events_ceremony ON ceremony_events(ceremony_id)",
        # 'passphrase' (typed by the operator) or 'slip39' (M-of-N custodian shares).
        "ALTER TABLE authorities ADD COLUMN key_protection TEXT NOT NULL DEFAULT 'passphrase'",
        "ALTER TABLE authorities ADD COLUMN ceremony_id INTEGER REFERENCES ceremonies(id)",
    ),
    (
        # Imported CSRs, and what became of them.
        """CREATE TABLE csrs (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            subject TEXT NOT NULL,
            spki_sha256 TEXT NOT NULL,
            source TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'signed')),
            cert_id INTEGER REFERENCES certificates(id),
            der BLOB NOT NULL
        )""",
        # Per-CA settings (CRL, AIA and OCSP URLs) as JSON.
        "ALTER TABLE authorities ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'",
    ),
    (
        # Which kind of ceremony: the root key ceremony, or a short key-use ceremony
        # (signing an intermediate, re-signing CRLs). For key-use ceremonies, ca_id is the
        # CA whose key was used.
        "ALTER TABLE ceremonies ADD COLUMN kind TEXT NOT NULL DEFAULT 'root-key'",
    ),
    (
        # Revocations recorded here; signed into a CRL at the next issuance (crl_number then set).
        """CREATE TABLE revocations (
            id INTEGER PRIMARY KEY,
            cert_id INTEGER NOT NULL UNIQUE REFERENCES certificates(id),
            ca_id INTEGER NOT NULL REFERENCES authorities(id),
            serial TEXT NOT NULL,
            revoked_at TEXT NOT NULL,
            reason TEXT NOT NULL,
            invalidity_date TEXT,
            note TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            crl_number INTEGER
        )""",
        "CREATE INDEX revocations_ca ON revocations(ca_id)",
        # Signed CRLs. Numbers are reserved (committed) before signing, so none is ever reused.
        """CREATE TABLE crls (
            id INTEGER PRIMARY KEY,
            ca_id INTEGER NOT NULL REFERENCES authorities(id),
            number INTEGER NOT NULL,
            this_update TEXT NOT NULL,
            next_update TEXT NOT NULL,
            entries INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            der BLOB NOT NULL,
            ceremony_id INTEGER REFERENCES ceremonies(id),
            UNIQUE (ca_id, number)
        )""",
        "ALTER TABLE authorities ADD COLUMN crl_last_number INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE authorities ADD COLUMN crl_period_days INTEGER NOT NULL DEFAULT 365",
        "ALTER TABLE authorities ADD COLUMN crl_overlap_days INTEGER NOT NULL DEFAULT 30",
    ),
    (
        # Partner organisations, identified by the full primary fingerprint of their OpenPGP key.
        """CREATE TABLE partners (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            organisation TEXT NOT NULL,
            pgp_fingerprint TEXT,
            key_status TEXT NOT NULL DEFAULT 'none'
                CHECK (key_status IN ('none', 'unverified', 'verified')),
            notes TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL
        )""",
        """CREATE TABLE partner_contacts (
            id INTEGER PRIMARY KEY,
            partner_id INTEGER NOT NULL REFERENCES partners(id),
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            phone TEXT NOT NULL,
            phone_source TEXT NOT NULL
        )""",
        # Trust packages built for partners and opened from them, with what the checks found.
        """CREATE TABLE packages (
            id INTEGER PRIMARY KEY,
            direction TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
            partner_id INTEGER NOT NULL REFERENCES partners(id),
            package_id TEXT NOT NULL,
            at TEXT NOT NULL,
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            manifest_sha256 TEXT,
            result TEXT NOT NULL,
            findings TEXT NOT NULL
        )""",
    ),
    (
        # Fingerprint verification calls. A record is never edited: corrections are new records.
        """CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            partner_id INTEGER NOT NULL REFERENCES partners(id),
            direction TEXT NOT NULL CHECK (direction IN ('we-read', 'they-read')),
            our_officer TEXT NOT NULL,
            their_officer TEXT NOT NULL,
            phone TEXT NOT NULL,
            phone_source TEXT NOT NULL,
            at TEXT NOT NULL,
            compared TEXT NOT NULL,
            result TEXT NOT NULL CHECK (result IN ('verified', 'mismatch', 'aborted')),
            note TEXT NOT NULL
        )""",
        """CREATE TRIGGER calls_are_never_edited BEFORE UPDATE ON calls
           BEGIN SELECT RAISE(ABORT, 'a call record is never edited; record a new call'); END""",
        """CREATE TRIGGER calls_are_never_deleted BEFORE DELETE ON calls
           BEGIN SELECT RAISE(ABORT, 'a call record is never deleted'); END""",
        # The CA certificates a partner's accepted package carried; trusted only after a verified call.
        """CREATE TABLE partner_certs (
            id INTEGER PRIMARY KEY,
            partner_id INTEGER NOT NULL REFERENCES partners(id),
            cert_id INTEGER NOT NULL REFERENCES certificates(id),
            package_row INTEGER NOT NULL REFERENCES packages(id),
            trusted INTEGER NOT NULL DEFAULT 0,
            call_id INTEGER REFERENCES calls(id),
            UNIQUE (partner_id, cert_id)
        )""",
    ),
    (
        # Finding a certificate's issuer by name stays fast with many certificates.
        "CREATE INDEX certificates_subject ON certificates(subject)",
    ),
    (
        # Subject alternative names (DNS, IP, URI incl. spiffe://, e-mail), and free-text search
        # over names, SANs, serial and fingerprint kept in step with the table by triggers.
        "ALTER TABLE certificates ADD COLUMN sans TEXT NOT NULL DEFAULT ''",
        """CREATE VIRTUAL TABLE certificates_fts USING fts5(
            subject, issuer, sans, serial_hex, sha256, content='certificates', content_rowid='id'
        )""",
        """CREATE TRIGGER certificates_fts_insert AFTER INSERT ON certificates BEGIN
            INSERT INTO certificates_fts(rowid, subject, issuer, sans, serial_hex, sha256)
            VALUES (new.id, new.subject, new.issuer, new.sans, new.serial_hex, new.sha256);
        END""",
        """CREATE TRIGGER certificates_fts_delete AFTER DELETE ON certificates BEGIN
            INSERT INTO certificates_fts(certificates_fts, rowid, subject, issuer, sans, serial_hex, sha256)
            VALUES ('delete', old.id, old.subject, old.issuer, old.sans, old.serial_hex, old.sha256);
        END""",
        """CREATE TRIGGER certificates_fts_update AFTER UPDATE ON certificates BEGIN
            INSERT INTO certificates_fts(certificates_fts, rowid, subject, issuer, sans, serial_hex, sha256)
            VALUES ('delete', old.id, old.subject, old.issuer, old.sans, old.serial_hex, old.sha256);
            INSERT INTO certificates_fts(rowid, subject, issuer, sans, serial_hex, sha256)
            VALUES (new.id, new.subject, new.issuer, new.sans, new.serial_hex, new.sha256);
        END""",
        "INSERT INTO certificates_fts(certificates_fts) VALUES ('rebuild')",
    ),
    (
        # The DER moves to its own table, so that the row a search scans stays small.
        """CREATE TABLE certificate_der (
            cert_id INTEGER PRIMARY KEY REFERENCES certificates(id) ON DELETE CASCADE,
            der BLOB NOT NULL
        )""",
        "INSERT INTO certificate_der (cert_id, der) SELECT id, der FROM certificates",
        "ALTER TABLE certificates DROP COLUMN der",
        # The remaining fields of the certificate (lists space-separated), re-read from the DER
        # after this migration (meta 'refresh_fields'), and the operator's own metadata.
        "ALTER TABLE certificates ADD COLUMN key_usage TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE certificates ADD COLUMN eku TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE certificates ADD COLUMN policies TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE certificates ADD COLUMN crl_urls TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE certificates ADD COLUMN ocsp_urls TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE certificates ADD COLUMN ca_issuers_urls TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE certificates ADD COLUMN service TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE certificates ADD COLUMN environment TEXT",
        "ALTER TABLE certificates ADD COLUMN owner_team TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE certificates ADD COLUMN partner_id INTEGER REFERENCES partners(id)",
        "ALTER TABLE certificates ADD COLUMN tags TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE certificates ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        """UPDATE certificates SET partner_id =
               (SELECT MIN(pc.partner_id) FROM partner_certs pc WHERE pc.cert_id = certificates.id)""",
        "INSERT INTO meta (key, value) VALUES ('refresh_fields', '1')",
        # Compliance findings that do not depend on the clock, per certificate (see compliance.py).
        """CREATE TABLE cert_findings (
            code TEXT NOT NULL,
            cert_id INTEGER NOT NULL REFERENCES certificates(id) ON DELETE CASCADE,
            PRIMARY KEY (code, cert_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX cert_findings_cert ON cert_findings(cert_id)",
        # The free-text index is filled in bulk by inventory.insert_fields (a per-row trigger costs
        # five times as much), and follows an update only when an indexed column changes.
        "DROP TRIGGER certificates_fts_insert",
        "DROP TRIGGER certificates_fts_update",
        """CREATE TRIGGER certificates_fts_update
           AFTER UPDATE OF subject, issuer, sans, serial_hex, sha256 ON certificates BEGIN
            INSERT INTO certificates_fts(certificates_fts, rowid, subject, issuer, sans, serial_hex, sha256)
            VALUES ('delete', old.id, old.subject, old.issuer, old.sans, old.serial_hex, old.sha256);
            INSERT INTO certificates_fts(rowid, subject, issuer, sans, serial_hex, sha256)
            VALUES (new.id, new.subject, new.issuer, new.sans, new.serial_hex, new.sha256);
        END""",
        # Every filter and sortable column of the certificates view is served by an index.
        "CREATE INDEX certificates_common_name ON certificates(common_name)",
        # Issuer candidates are looked up by name among CA certificates only.
        "DROP INDEX certificates_subject",
        "CREATE INDEX certificates_ca_subject ON certificates(subject) WHERE is_ca = 1",
        # Each distinct issuer name once, numbered: the issuer filter finds names here, then the
        # certificates by the small integer index on issuer_no (not a million issuer names).
        """CREATE TABLE issuer_names (
            no INTEGER PRIMARY KEY,
            issuer_hash TEXT NOT NULL UNIQUE,
            issuer TEXT NOT NULL
        )""",
        "INSERT OR IGNORE INTO issuer_names (issuer_hash, issuer) SELECT issuer_hash, issuer FROM certificates",
        "ALTER TABLE certificates ADD COLUMN issuer_no INTEGER REFERENCES issuer_names(no)",
        """UPDATE certificates SET issuer_no =
               (SELECT no FROM issuer_names n WHERE n.issuer_hash = certificates.issuer_hash)""",
        "CREATE INDEX certificates_issuer_no ON certificates(issuer_no)",
        "CREATE INDEX certificates_not_before ON certificates(not_before)",
        "CREATE INDEX certificates_key ON certificates(key_algorithm, key_size)",
        "CREATE INDEX certificates_ca ON certificates(is_ca)",
        "CREATE INDEX certificates_source ON certificates(source)",
        "CREATE INDEX certificates_environment ON certificates(environment) WHERE environment IS NOT NULL",
        "CREATE INDEX certificates_partner ON certificates(partner_id) WHERE partner_id IS NOT NULL",
    ),
    (
        # Each CRL's signed checkpoint of the audit log (its head when the CRL's number was
        # reserved), written next to the CRL when it is exported: an anchor outside the database.
        "ALTER TABLE crls ADD COLUMN checkpoint BLOB",
        "ALTER TABLE crls ADD COLUMN checkpoint_sig BLOB",
        # A CSR being signed: who reserved it ({"pid", "since"} as JSON), so a second signing of
        # the same CSR is refused before anything is signed; NULL when nobody is signing it.
        "ALTER TABLE csrs ADD COLUMN signing TEXT",
    ),
    (
        # End-entity profiles the operator defined (the built-in ones ship with pkiadmin): the
        # reviewed TOML as imported, and its SHA-256 as audited.
        """CREATE TABLE cert_profiles (
            name TEXT PRIMARY KEY,
            toml TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            added_at TEXT NOT NULL
        )""",
        # The end-entity profile a certificate was issued under (NULL for CAs and imports).
        "ALTER TABLE certificates ADD COLUMN profile TEXT",
        # The certificate a renewal replaces (same subject, SANs and profile; NULL otherwise).
        "ALTER TABLE certificates ADD COLUMN renews INTEGER REFERENCES certificates(id)",
    ),
    (
        # Pre-signed OCSP responses: each signing of a CA's responses (the calendar shows when
        # the newest expire; the folder and its manifest are the exported files).
        """CREATE TABLE ocsp_batches (
            id INTEGER PRIMARY KEY,
            ca_id INTEGER NOT NULL REFERENCES authorities(id),
            this_update TEXT NOT NULL,
            next_update TEXT NOT NULL,
            responses INTEGER NOT NULL,
            revoked INTEGER NOT NULL,
            responder_cert_id INTEGER REFERENCES certificates(id),
            manifest_sha256 TEXT NOT NULL,
            folder TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX ocsp_batches_ca ON ocsp_batches(ca_id)",
    ),
    (
        # The CRLs an accepted partner package carried, each checked against its CA: exported
        # for TLS servers that check partner clients (nginx ssl_crl, openssl -CRLfile).
        """CREATE TABLE partner_crls (
            id INTEGER PRIMARY KEY,
            partner_id INTEGER NOT NULL REFERENCES partners(id),
            package_row INTEGER NOT NULL REFERENCES packages(id),
            issuer_cert_id INTEGER NOT NULL REFERENCES certificates(id),
            number INTEGER,
            this_update TEXT NOT NULL,
            next_update TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            der BLOB NOT NULL,
            UNIQUE (issuer_cert_id, sha256)
        )""",
        "CREATE INDEX partner_crls_issuer ON partner_crls(issuer_cert_id)",
    ),
    (
        # Where each CA certificate stands in its package's manifest (and so on the sender's
        # verification sheet): the call reads them in that order. NULL for packages opened
        # before; those are read by subject, as before.
        "ALTER TABLE partner_certs ADD COLUMN position INTEGER",
    ),
    (
        # Known-bad keys (BR 6.1.1.3: ROCA, Fermat, blocklisted...): the checks that found
        # something for each certificate's key, filled for the certificates already stored.
        "ALTER TABLE certificates ADD COLUMN known_bad TEXT NOT NULL DEFAULT ''",
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('refresh_fields', '1')",
    ),
    (
        # A retired CA signs CRLs only (BR 4.9.7: until what it signed has expired or been
        # revoked, or its key is destroyed); a destroyed key is never used again.
        "ALTER TABLE authorities ADD COLUMN retired_at TEXT",
        "ALTER TABLE authorities ADD COLUMN key_destroyed_at TEXT",
    ),
    (
        # A mass revocation (a compromised CA's population, every weak key): one operation, one
        # audit entry naming the SHA-256 of the batch's manifest; its rows carry the batch.
        "ALTER TABLE revocations ADD COLUMN batch INTEGER",
        "CREATE INDEX revocations_batch ON revocations(batch) WHERE batch IS NOT NULL",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def too_new(version: int) -> str:
    """What to say of a database whose schema is newer than this pkiadmin knows."""
    from pkiadmin import __version__

    return (
        f"This workspace was written by a newer pkiadmin (schema {version}; this version "
        f"{__version__} knows up to {SCHEMA_VERSION}). Open it with that newer version; nothing "
        "was changed."
    )


def user_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def application_id(db: Database) -> int:
    return int(db.execute("PRAGMA application_id").fetchone()[0])


def migrate(db: Database, start: int) -> None:
    """Apply every migration after `start` inside one transaction each (DDL is transactional in SQLite)."""
    for version in range(start, SCHEMA_VERSION):
        with db.atomic():
            for statement in MIGRATIONS[version]:
                db.execute(statement)
            # PRAGMA user_version is stored in the database header and is transactional.
            db.execute(f"PRAGMA user_version = {version + 1}")
