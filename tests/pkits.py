"""NIST PKITS (from cryptography-vectors) as packages: for each test's end-entity certificate, the
CA certificates and CRLs a partner would put next to it (every certificate on a name chain up to
the trust anchor, the CRL issuers its distribution points name, and every CRL those names issued),
with the expected verdict from the test's name (Valid… or Invalid…) under default settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import cryptography_vectors
from asn1crypto import x509 as asn1_x509
from cryptography import x509

PKITS = Path(cryptography_vectors.__file__).parent / "x509" / "PKITS_data"
ANCHOR = "TrustAnchorRootCertificate.crt"
# Within every PKITS certificate's validity and every current CRL's.
AT = datetime(2020, 1, 1, tzinfo=UTC)

# PKITS sections (chapter 4 of the test plan) and how a test's name says which it belongs to,
# tried in this order (the more specific patterns first).
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("4.1", "signature verification", r"CertificatePath|Signature|DSAParameter"),
    ("4.5", "self-issued certificates", r"BasicSelfIssued"),
    (
        "4.6",
        "basic constraints",
        r"MissingbasicConstraints|cAFalse|basicConstraintsNot|pathLenConstraint",
    ),
    ("4.7", "key usage", r"keyUsage"),
    ("4.9", "require explicit policy", r"requireExplicitPolicy"),
    ("4.11", "inhibit policy mapping", r"inhibitPolicyMapping"),
    ("4.12", "inhibit any policy", r"inhibitAnyPolicy"),
    ("4.10", "policy mappings", r"PolicyMapping|MappingFromanyPolicy|MappingToanyPolicy"),
    ("4.8", "certificate policies", r"Polic|CPSPointer|UserNotice"),
    ("4.13", "name constraints", r"nameConstraints"),
    ("4.15", "delta CRLs", r"deltaCRL"),
    (
        "4.14",
        "distribution points",
        r"istributionPoint|onlyContains|onlySomeReasons|IDPwith|cRLIssuer",
    ),
    ("4.2", "validity periods", r"notBeforeDate|notAfterDate"),
    ("4.3", "name chaining", r"NameChaining|NameUIDs|AttributeTypes|UTF8String|Rollover"),
    ("4.4", "basic certificate revocation", r"CRL|Revoked|SerialNumber|SeparateCertificate"),
    ("4.16", "private certificate extensions", r"CertificateExtension"),
)


@dataclass(frozen=True)
class Case:
    name: str
    section: str
    expected_valid: bool
    target: tuple[str, bytes]
    certificates: tuple[tuple[str, bytes], ...]  # the path's CA certificates (not the anchor)
    crls: tuple[tuple[str, bytes], ...]


def section_of(name: str) -> str:
    for number, _, pattern in SECTIONS:
        if re.search(pattern, name):
            return number
    raise AssertionError(f"no PKITS section for {name}")


@dataclass(frozen=True)
class _Pool:
    raw: dict[str, bytes]
    certs: dict[str, x509.Certificate]
    cas: dict[str, tuple[x509.Certificate, str]]  # file -> (certificate, subject key)
    crls: dict[str, str]  # file -> issuer key


@cache
def _pool() -> _Pool:
    raw = {p.name: p.read_bytes() for p in sorted((PKITS / "certs").glob("*.crt"))}
    certs: dict[str, x509.Certificate] = {}
    for n, d in raw.items():
        try:
            certs[n] = x509.load_der_x509_certificate(d)
        except ValueError:  # DSA parameters inherited from the issuer: cryptography cannot read it
            continue
    cas = {
        n: (c, _name(c.subject))
        for n, c in certs.items()
        if n != ANCHOR and not n.endswith("EE.crt")
    }
    crls = {
        p.name: _name(x509.load_der_x509_crl(p.read_bytes()).issuer)
        for p in sorted((PKITS / "crls").glob("*.crl"))
    }
    return _Pool(raw, certs, cas, crls)


def _name(name: x509.Name) -> str:
    """A key that compares as RFC 5280 §7.1 says (case and spaces), which cryptography's does not."""
    return str(asn1_x509.Name.load(name.public_bytes()).hashable)


def _crl_issuers(cert: x509.Certificate) -> list[x509.Name]:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [
        gn.value
        for point in points
        for gn in (point.crl_issuer or [])
        if isinstance(gn, x509.DirectoryName)
    ]


def case(ee_name: str) -> Case:
    pool = _pool()
    raw, certs, cas = pool.raw, pool.certs, pool.cas
    anchor_subject = certs[ANCHOR].subject
    wanted: dict[str, x509.Certificate] = {}
    names: list[str] = [_name(anchor_subject)]
    todo = [certs[ee_name]] if ee_name in certs else []
    while todo:
        cert = todo.pop()
        for issuer in [cert.issuer, *_crl_issuers(cert)]:
            names.append(_name(issuer))
            for n, (c, subject) in cas.items():
                if subject == names[-1] and n not in wanted:
                    wanted[n] = c
                    todo.append(c)
    chosen_crls = tuple(
        (n, (PKITS / "crls" / n).read_bytes()) for n, issuer in pool.crls.items() if issuer in names
    )
    return Case(
        name=ee_name.removesuffix("EE.crt"),
        section=section_of(ee_name),
        expected_valid=ee_name.startswith("Valid"),
        target=(ee_name, raw[ee_name]),
        certificates=tuple((n, raw[n]) for n in sorted(wanted)),
        crls=chosen_crls,
    )


def anchor() -> tuple[str, bytes]:
    return ANCHOR, _pool().raw[ANCHOR]


def cases() -> list[Case]:
    """The 203 tests whose name gives the verdict under default settings."""
    raw = _pool().raw
    return [case(n) for n in raw if n.endswith("EE.crt") and n.startswith(("Valid", "Invalid"))]


@dataclass(frozen=True)
class Outcome:
    case: Case
    accepted: bool
    finding: str

    @property
    def correct(self) -> bool:
        return self.accepted == self.case.expected_valid

    @property
    def false_accept(self) -> bool:
        return self.accepted and not self.case.expected_valid


def run_pkiadmin(c: Case) -> Outcome:
    """Through the public validation function, with RFC 5280's default inputs (any policy, no
    explicit policy required) and pkiadmin's key and algorithm rules; the target need not be a CA."""
    from pkiadmin.core.exchange import partner_validation as pv

    report = pv.validate(
        [anchor()],
        [c.target],
        c.crls,
        AT,
        pv.Parameters(require_ca=False),
        untrusted=c.certificates,
    )
    verdict = next(v for v in report.verdicts if v.label == c.target[0])
    return Outcome(c, verdict.accepted, "; ".join(verdict.findings))


def table(rows: dict[str, list[Outcome]]) -> str:
    """Per section: cases, then for each validator the correct verdicts and false accepts."""
    names = {n: t for n, t, _ in SECTIONS}
    lines = []
    columns = list(rows)
    header = f"{'section':<38} {'cases':>5} " + " ".join(
        f"{c + ' ok/false-accept':>28}" for c in columns
    )
    lines.append(header)
    first = rows[columns[0]]
    sections = sorted({o.case.section for o in first}, key=lambda s: [int(x) for x in s.split(".")])
    for section in [*sections, "all"]:
        cells = []
        count = 0
        for col in columns:
            chosen = [o for o in rows[col] if section in ("all", o.case.section)]
            count = len(chosen)
            ok = sum(o.correct for o in chosen)
            fa = sum(o.false_accept for o in chosen)
            cells.append(f"{f'{ok} / {fa}':>28}")
        title = "all" if section == "all" else f"{section} {names[section]}"
        lines.append(f"{title:<38} {count:>5} " + " ".join(cells))
    return "\n".join(lines)
