"""The certificates of a PEM bundle as DER, split here rather than by cryptography's PEM loader,
so that the bulk import gets each certificate's DER without asking cryptography to re-encode it.

Only the plain form is split here: CERTIFICATE blocks of canonical base64 in lines, and any text
outside the blocks. Anything else (headers, other block types, stray characters) returns None and
is left to cryptography's loader, so no file is accepted that cryptography would refuse."""

from __future__ import annotations

import binascii

BEGIN, END = b"-----BEGIN CERTIFICATE-----", b"-----END CERTIFICATE-----"


def certificate_ders(data: bytes) -> list[bytes] | None:
    """The DER of every CERTIFICATE block, in order; None when the bundle is not in the plain form."""
    if data.count(b"-----BEGIN ") != data.count(BEGIN) or data.count(b"-----END ") != data.count(
        END
    ):
        return None
    ders = []
    pos = 0
    while (start := data.find(BEGIN, pos)) >= 0:
        end = data.find(END, start)
        if end < 0:
            return None
        body = data[start + len(BEGIN) : end].translate(None, b"\r\n")
        try:
            der = binascii.a2b_base64(body, strict_mode=True)
        except binascii.Error:
            return None
        if binascii.b2a_base64(der, newline=False) != body:  # canonical base64 only
            return None
        ders.append(der)
        pos = end + len(END)
    return ders or None
