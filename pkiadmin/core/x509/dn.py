"""A certificate's subject as RFC 4514 text, printed from its DER for the bulk import.

cryptography builds a Python object for every attribute of a name before printing it, which is
the largest cost of reading a certificate. This prints the usual names itself: one attribute per
RDN, a well-known attribute type, a UTF8String, PrintableString or IA5String value that needs no
escaping and that cryptography would not warn about. For any other name it returns None and the
caller asks cryptography, so the text is always the same as cryptography's (tests compare both
over cryptography's own test certificates).
"""

from __future__ import annotations

from typing import NamedTuple

from pkiadmin.core.x509.tbs import element

_COMMON_NAME = bytes.fromhex("550403")
# Attribute types by their encoded OID: cryptography's RFC 4514 short names, and a few others that
# it prints as dotted OIDs. Common name and country have length limits (checked below).
_NAMES = {
    _COMMON_NAME: "CN",
    bytes.fromhex("550407"): "L",
    bytes.fromhex("550408"): "ST",
    bytes.fromhex("55040a"): "O",
    bytes.fromhex("55040b"): "OU",
    bytes.fromhex("550406"): "C",
    bytes.fromhex("550409"): "STREET",
    bytes.fromhex("0992268993f22c640119"): "DC",
    bytes.fromhex("0992268993f22c640101"): "UID",
    bytes.fromhex("550405"): "2.5.4.5",  # serialNumber
    bytes.fromhex("55040c"): "2.5.4.12",  # title
    bytes.fromhex("55040f"): "2.5.4.15",  # businessCategory
    bytes.fromhex("550461"): "2.5.4.97",  # organizationIdentifier
    bytes.fromhex("2a864886f70d010901"): "1.2.840.113549.1.9.1",  # emailAddress
}
_STRINGS = {0x0C, 0x13, 0x16}  # UTF8String, PrintableString, IA5String
_ESCAPED = frozenset('\\"+,;<>\0#')  # a value with any of these is left to cryptography


class PrintedName(NamedTuple):
    text: str  # RFC 4514, as cryptography's Name.rfc4514_string()
    common_name: str  # the first CN, or the whole text when there is none


def printed(encoded: bytes) -> PrintedName | None:
    """The RFC 4514 text and common name of an encoded Name, or None when cryptography must."""
    try:
        tag, pos, end = element(encoded, 0)
        if tag != 0x30 or end != len(encoded):
            return None
        parts: list[str] = []
        common = None
        while pos < end:
            tag, start, rdn_end = element(encoded, pos)
            if tag != 0x31:
                return None
            tag, start, atv_end = element(encoded, start)
            if tag != 0x30 or atv_end != rdn_end:  # more than one attribute in the RDN
                return None
            tag, oid_start, oid_end = element(encoded, start)
            tag_value, value_start, value_end = element(encoded, oid_end)
            if tag != 0x06 or value_end != atv_end or tag_value not in _STRINGS:
                return None
            name = _NAMES.get(encoded[oid_start:oid_end])
            if name is None:
                return None
            value = encoded[value_start:value_end].decode("utf-8")
            if not _plain(name, value):
                return None
            parts.append(f"{name}={value}")
            if common is None and name == "CN":
                common = value
            pos = rdn_end
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    if not parts:
        return None
    text = ",".join(reversed(parts))
    return PrintedName(text, common if common is not None else text)


def _plain(name: str, value: str) -> bool:
    """A value printed as it is, and one cryptography takes without a warning."""
    if (
        not value
        or value[0] == " "
        or value[-1] == " "
        or not _ESCAPED.isdisjoint(value)
        or not value.isprintable()  # control, bidi, invisible: escaped by certfields
    ):
        return False
    if name == "CN":
        return len(value.encode("utf-8")) <= 64
    if name == "C":
        return len(value.encode("utf-8")) == 2
    return True
