"""Compliance checks of every inventory certificate against a configurable policy.

Findings that do not depend on the clock are stored per certificate (cert_findings, indexed, so
filtering a million rows by finding stays fast) and recomputed by SQL when the policy changes.
'expired' and 'not-yet-valid' depend on the clock and are computed at query time from the dates.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING

from pkiadmin.core.base.errors import ValidationError

if TYPE_CHECKING:
    from sqlite_utils import Database

    from pkiadmin.core.workspace.rows import Rows

POLICY_KEY = "compliance_policy"


@dataclass(frozen=True)
class Policy:
    min_rsa_bits: int = 2048  # RSA and DSA keys shorter than this are weak
    min_ec_bits: int = 256
    max_end_entity_days: int = 398  # CA/Browser Forum TLS limit
    max_intermediate_days: int = 3653  # ten years
    max_root_days: int = 9132  # twenty-five years

    def check(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or value <= 0:
                raise ValidationError(f"The policy's {f.name} must be a positive whole number.")


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    where: str  # SQL over the certificates row, with :policy parameters (or :now)
    clock: bool = False  # computed at query time (the clock, or the audit log, decides)


RULES: tuple[Rule, ...] = (
    Rule(
        "weak-key",
        "Weak key (RSA/DSA below the policy's size, or EC below it)",
        "((key_algorithm IN ('RSA', 'DSA') AND key_size < :min_rsa_bits)"
        " OR (key_algorithm LIKE 'EC %' AND key_size < :min_ec_bits))",
    ),
    Rule(
        "known-bad-key",
        "Known-bad key (ROCA, Fermat, published private key...: BR 6.1.1.3)",
        "(known_bad <> '')",
    ),
    Rule(
        "weak-signature",
        "SHA-1 or MD5 signature",
        "(signature_algorithm LIKE '%sha1%' OR signature_algorithm LIKE '%md5%'"
        " OR signature_algorithm LIKE '%md2%' OR signature_algorithm LIKE '%md4%')",
    ),
    Rule(
        "long-validity",
        "Validity longer than the profile allows",
        "(julianday(not_after) - julianday(not_before) > CASE"
        " WHEN is_ca = 0 THEN :max_end_entity_days"
        " WHEN subject = issuer THEN :max_root_days ELSE :max_intermediate_days END)",
    ),
    Rule("no-eku", "End-entity certificate without extended key usage", "(is_ca = 0 AND eku = '')"),
    Rule(
        "no-san",
        "End-entity certificate without subject alternative names",
        "(is_ca = 0 AND sans = '')",
    ),
    Rule(
        "ca-without-keycertsign",
        "CA certificate without keyCertSign in its key usage",
        "(is_ca = 1 AND ' ' || key_usage || ' ' NOT LIKE '% keyCertSign %')",
    ),
    Rule(
        "not-audited",
        "Issued here, but missing from the audit log",
        # A root made in a key ceremony is recorded by the ceremony's completion, which names
        # the certificate in its details.
        "(source = 'issued' AND id NOT IN (SELECT json_extract(objects, '$.cert_id')"
        " FROM audit_log WHERE json_extract(objects, '$.cert_id') IS NOT NULL"
        " UNION SELECT json_extract(details, '$.cert_id') FROM audit_log"
        " WHERE operation = 'ceremony.completed' AND json_extract(details, '$.cert_id') IS NOT NULL))",
        clock=True,  # the audit entry is written after the certificate, in the same transaction
    ),
    Rule("expired", "Expired", "(not_after < :now)", clock=True),
    Rule("not-yet-valid", "Not yet valid", "(not_before > :now)", clock=True),
)
CODES = tuple(r.code for r in RULES)
_BY_CODE = {r.code: r for r in RULES}


def rule(code: str) -> Rule:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise ValidationError(
            f"Unknown compliance finding '{code}'. Choose one of: {', '.join(CODES)}."
        ) from None


def load_policy(db: Database) -> Policy:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (POLICY_KEY,)).fetchone()
    return Policy(**json.loads(row[0])) if row else Policy()


def save_policy(db: Database, policy: Policy) -> None:
    """In the caller's transaction: store the policy and recompute every stored finding."""
    policy.check()
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (POLICY_KEY, json.dumps(asdict(policy), sort_keys=True)),
    )
    db.execute("DELETE FROM cert_findings")
    record_findings(db, None, None, policy)


def record_findings(
    db: Database, first_id: int | None, last_id: int | None, policy: Policy | None = None
) -> None:
    """Store the clock-free findings of the certificates with ids first_id..last_id (all if None)."""
    policy = policy or load_policy(db)
    params: dict[str, object] = dict(asdict(policy))
    window = ""
    if first_id is not None and last_id is not None:
        window = " AND id BETWEEN :first AND :last"
        params |= {"first": first_id, "last": last_id}
    # One statement for every rule: a certificate signed alone costs one statement, not eight.
    selects = " UNION ALL ".join(
        f"SELECT '{r.code}', id FROM certificates WHERE {r.where}{window}"  # noqa: S608 - fixed rule text
        for r in RULES
        if not r.clock
    )
    db.execute(f"INSERT OR IGNORE INTO cert_findings (code, cert_id) {selects}", params)


def clause(code: str, now: datetime, selective: bool = True) -> tuple[str, dict[str, object]]:
    """The WHERE clause (over certificates) selecting the certificates with this finding. When the
    whole filter is selective the finding lists its certificates; otherwise each row is probed (a
    list of most of a million ids costs more than the rows it saves)."""
    r = rule(code)
    if r.clock:
        return r.where, {"now": now.isoformat()}
    if selective:
        return "id IN (SELECT cert_id FROM cert_findings WHERE code = :finding)", {"finding": code}
    return (
        "EXISTS (SELECT 1 FROM cert_findings WHERE code = :finding AND cert_id = certificates.id)",
        {"finding": code},
    )


def count(db: Rows, code: str) -> int:
    """How many certificates have this (clock-free) finding."""
    return int(
        db.execute("SELECT COUNT(*) FROM cert_findings WHERE code = ?", (code,)).fetchone()[0]
    )


def findings_of(db: Rows, cert_id: int, now: datetime) -> tuple[str, ...]:
    """Every finding of one certificate, in RULES order."""
    return findings_for(db, [cert_id], now).get(cert_id, ())


def summary(db: Rows, now: datetime) -> dict[str, int]:
    """How many certificates have each finding."""
    counts = {
        str(r[0]): int(r[1])
        for r in db.execute("SELECT code, COUNT(*) FROM cert_findings GROUP BY code")
    }
    for r in RULES:
        if r.clock:
            sql = f"SELECT COUNT(*) FROM certificates WHERE {r.where}"  # noqa: S608 - fixed rule text
            counts[r.code] = int(db.execute(sql, {"now": now.isoformat()}).fetchone()[0])
    return {code: counts.get(code, 0) for code in CODES}


def findings_for(db: Rows, ids: list[int], now: datetime) -> dict[int, tuple[str, ...]]:
    """The findings of many certificates at once (exports, the table's badges)."""
    found: dict[int, set[str]] = {i: set() for i in ids}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for cert_id, code in db.execute(
            f"SELECT cert_id, code FROM cert_findings WHERE cert_id IN ({marks})",  # noqa: S608
            chunk,
        ):
            found[int(cert_id)].add(str(code))
        named = {f"i{n}": cert_id for n, cert_id in enumerate(chunk)}
        listed = ",".join(f":{k}" for k in named)
        for r in RULES:
            if r.clock:
                sql = f"SELECT id FROM certificates WHERE id IN ({listed}) AND {r.where}"  # noqa: S608
                for (cert_id,) in db.execute(sql, {"now": now.isoformat(), **named}):
                    found[int(cert_id)].add(r.code)
    return {i: tuple(c for c in CODES if c in codes) for i, codes in found.items()}
