"""A minimal DER encoder for the few ASN.1 structures pkiadmin writes itself (PKCS#8 PBES2)."""

from __future__ import annotations


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def sequence(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def integer(value: int) -> bytes:
    if value < 0:
        raise ValueError("only non-negative integers are encoded")
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 0 keeps it positive
    while len(body) > 1 and body[0] == 0 and body[1] < 0x80:
        body = body[1:]
    return tlv(0x02, body)


def octet_string(value: bytes) -> bytes:
    return tlv(0x04, value)


def null() -> bytes:
    return b"\x05\x00"


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    if len(parts) < 2:
        raise ValueError(f"not an OID: {dotted}")
    body = bytearray()
    for arc in [parts[0] * 40 + parts[1], *parts[2:]]:
        chunk = [arc & 0x7F]
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


def read_tlv(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, end) of the element at pos; ValueError when it runs past the buffer."""
    if pos + 2 > len(buf):
        raise ValueError("truncated DER")
    tag, first = buf[pos], buf[pos + 1]
    if first < 0x80:
        start, length = pos + 2, first
    else:
        count = first & 0x7F
        start = pos + 2 + count
        length = int.from_bytes(buf[pos + 2 : start], "big")
    end = start + length
    if end > len(buf) or count_invalid(first):
        raise ValueError("malformed DER length")
    return tag, start, end


def count_invalid(first: int) -> bool:
    """0x80 (indefinite) and lengths of more than 4 bytes are not DER a certificate uses."""
    return first == 0x80 or first > 0x84


def certificate_issuer(cert_der: bytes) -> bytes:
    """The encoded issuer Name of a DER certificate (Certificate → TBSCertificate → issuer)."""
    _tag, tbs, _end = read_tlv(cert_der, 0)
    _tag, pos, _end = read_tlv(cert_der, tbs)
    tag, _start, pos = read_tlv(cert_der, pos)
    if tag == 0xA0:  # [0] version, then the serial number
        _tag, _start, pos = read_tlv(cert_der, pos)
    _tag, _start, pos = read_tlv(cert_der, pos)  # signature algorithm
    tag, _start, end = read_tlv(cert_der, pos)
    if tag != 0x30:
        raise ValueError("the certificate's issuer is not a Name")
    return cert_der[pos:end]
