"""Fields of a certificate read straight from its DER, for the bulk import.

cryptography's accessors build Python objects (a key, datetimes, an integer) that the import only
turns into text. cryptography has already parsed and checked the whole structure when it loaded
the certificate, so these readers only locate the bytes. Each handles the common, well-formed
encoding and returns None for anything else, where the caller asks cryptography instead: so what
is stored, and what is refused, is the same as cryptography would give.

The public key is the exception that needs a check of its own: cryptography refuses an EC point
that is not on its curve when the key is built, so the fast path checks the curve equation too.
"""

from __future__ import annotations

from typing import NamedTuple


class TbsParts(NamedTuple):
    serial: bytes  # the INTEGER's content octets
    issuer: bytes  # the encoded Name
    not_before: bytes  # the encoded Time
    not_after: bytes
    subject: bytes  # the encoded Name
    spki: bytes  # the encoded SubjectPublicKeyInfo


def element(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, end) of the DER element at pos (lengths of up to 3 octets)."""
    first = buf[pos + 1]
    if first < 0x80:
        start = pos + 2
        end = start + first
    elif first == 0x81:
        start = pos + 3
        end = start + buf[pos + 2]
    elif first == 0x82:
        start = pos + 4
        end = start + (buf[pos + 2] << 8 | buf[pos + 3])
    elif first == 0x83:
        start = pos + 5
        end = start + int.from_bytes(buf[pos + 2 : pos + 5], "big")
    else:
        raise ValueError("unexpected DER length")
    if end > len(buf):
        raise ValueError("truncated DER")
    return buf[pos], start, end


def parts(cert_der: bytes) -> TbsParts | None:
    """The TBS parts of a DER certificate, or None when its layout is not the usual one."""
    try:
        _tag, tbs, _end = element(cert_der, 0)
        tag, pos, _end = element(cert_der, tbs)
        tag, start, end = element(cert_der, pos)
        if tag == 0xA0:  # [0] version, then the serial number
            tag, start, end = element(cert_der, end)
        if tag != 0x02:
            return None
        serial = cert_der[start:end]
        _tag, _start, pos = element(cert_der, end)  # signature algorithm
        _tag, _start, end = element(cert_der, pos)
        issuer = cert_der[pos:end]
        _tag, start, validity_end = element(cert_der, end)
        _tag, _s, mid = element(cert_der, start)
        _tag, _s, last = element(cert_der, mid)
        if last != validity_end:
            return None
        _tag, _s, subject_end = element(cert_der, validity_end)
        _tag, _s, end = element(cert_der, subject_end)
        return TbsParts(
            serial,
            issuer,
            cert_der[start:mid],
            cert_der[mid:last],
            cert_der[validity_end:subject_end],
            cert_der[subject_end:end],
        )
    except (ValueError, IndexError):
        return None


def serial_hex(content: bytes) -> str | None:
    """The serial number as pkiadmin writes it (upper-case hex, whole octets), or None when the
    INTEGER is negative or not minimally encoded."""
    if not content or content[0] & 0x80:
        return None
    if content[0] == 0 and len(content) > 1:
        if content[1] < 0x80:
            return None
        content = content[1:]
    return content.hex().upper()


def iso_time(encoded: bytes) -> str | None:
    """'2026-11-23T18:13:53+00:00' for a UTCTime or GeneralizedTime in the DER form RFC 5280
    requires (seconds, 'Z'); None for anything else."""
    tag = encoded[0]
    if tag == 0x17 and len(encoded) == 15 and encoded[14] == 0x5A:  # UTCTime YYMMDDHHMMSSZ
        yy = encoded[2:4].decode("ascii")
        century = "19" if yy >= "50" else "20"
        text = century + encoded[2:14].decode("ascii")
    elif tag == 0x18 and len(encoded) == 17 and encoded[16] == 0x5A:  # GeneralizedTime
        text = encoded[2:16].decode("ascii")
    else:
        return None
    if not text.isdigit():
        return None
    return f"{text[0:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:14]}+00:00"


_RSA = bytes.fromhex("06092a864886f70d010101")  # rsaEncryption
_EC = bytes.fromhex("06072a8648ce3d0201")  # id-ecPublicKey


class _Curve(NamedTuple):
    name: str
    bits: int
    p: int
    b: int  # y^2 = x^3 - 3x + b over the prime field p


_CURVES = {
    bytes.fromhex("06082a8648ce3d030107"): _Curve(
        "EC P-256",
        256,
        0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    ),
    bytes.fromhex("06052b81040022"): _Curve(
        "EC P-384",
        384,
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
    ),
    bytes.fromhex("06052b81040023"): _Curve(
        "EC P-521",
        521,
        2**521 - 1,
        0x0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00,
    ),
}


def describe_spki(spki: bytes) -> tuple[str, int] | None:
    """('RSA', 2048) or ('EC P-256', 256) for a well-formed RSA or NIST-curve key that
    cryptography would accept; None for any other key (the caller asks cryptography)."""
    try:
        _tag, start, _end = element(spki, 0)
        tag, alg, alg_end = element(spki, start)
        tag, bits, bits_end = element(spki, alg_end)
        if tag != 0x03 or spki[bits] != 0:  # a BIT STRING without unused bits
            return None
        _tag, _s, oid_end = element(spki, alg)
        oid = spki[alg:oid_end]
        key = spki[bits + 1 : bits_end]
        if oid == _RSA:
            return _rsa(key, spki[oid_end:alg_end])
        if oid == _EC:
            return _ec(key, spki[oid_end:alg_end])
    except (ValueError, IndexError):
        return None
    return None


def _positive(content: bytes) -> int | None:
    """A minimally encoded positive INTEGER's value, else None."""
    if (
        not content
        or content[0] & 0x80
        or (content[0] == 0 and (len(content) == 1 or content[1] < 0x80))
    ):
        return None
    return int.from_bytes(content, "big")


def _rsa(key: bytes, params: bytes) -> tuple[str, int] | None:
    if params not in (b"", b"\x05\x00"):
        return None
    tag, start, end = element(key, 0)
    if tag != 0x30 or end != len(key):
        return None
    tag, n_start, n_end = element(key, start)
    tag_e, e_start, e_end = element(key, n_end)
    if tag != 0x02 or tag_e != 0x02 or e_end != end:
        return None
    n = _positive(key[n_start:n_end])
    if n is None or _positive(key[e_start:e_end]) is None:
        return None
    return "RSA", n.bit_length()


def _ec(point: bytes, params: bytes) -> tuple[str, int] | None:
    curve = _CURVES.get(params)
    if curve is None:
        return None
    size = (curve.bits + 7) // 8
    if len(point) != 1 + 2 * size or point[0] != 0x04:  # uncompressed points only
        return None
    x = int.from_bytes(point[1 : 1 + size], "big")
    y = int.from_bytes(point[1 + size :], "big")
    p = curve.p
    if x >= p or y >= p or (y * y - (x * x * x - 3 * x + curve.b)) % p:
        return None  # not a point on the curve: cryptography says why
    return curve.name, curve.bits
