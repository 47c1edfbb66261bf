"""Text from outside (a CSR, a certificate, a package, a partner) made safe to show.

A subject can hold a newline followed by a fake ``SPKI SHA-256:`` line, a right-to-left override
that reverses what the operator reads aloud, or zero-width characters that make two names look
alike. Every such character is shown as a visible escape (``\\n``, ``\\u202e``), so nothing from
outside can forge a line or reorder text on the screen, in a PDF or in a report."""

from __future__ import annotations

import re
import unicodedata

# Bidi controls and marks, zero-width and invisible formatting characters: all of category Cf,
# listed here too so that the rule does not depend on the Unicode database's version.
_INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\u00ad"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def _unsafe(ch: str) -> bool:
    if ch in _NAMED or ch in _INVISIBLE:
        return True
    category = unicodedata.category(ch)
    # Cc control, Cf format, Cs surrogate, Co private use, Cn unassigned, Zl/Zp line separators
    return category in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def safe(text: str) -> str:
    """`text` with every control, line-breaking, bidi and invisible character escaped."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escape(ch) if _unsafe(ch) else ch for ch in text)


_DER_DAMAGE = ("ParseError", "UnexpectedTag", "InvalidLength", "ShortData", "ExtraData",
               "error parsing asn1", "ASN.1", "InvalidValue", "unexpected tag")  # fmt: skip
_PEM_DAMAGE = ("Unable to load PEM", "Valid PEM but no BEGIN", "PEM file", "cryptography.io")


def plain_error(exc: BaseException) -> str:
    """A parsing library's exception as words for the operator: what is damaged, never the
    library's internal dump (ParseError {…}, tags, locations) or a URL to its FAQ."""
    text = " ".join(str(exc).split())
    if any(marker in text for marker in _DER_DAMAGE):
        return "its DER encoding is damaged: a field has the wrong type or length, or it ends early"
    if any(marker in text for marker in _PEM_DAMAGE):
        return "its PEM block is damaged or incomplete: check the BEGIN and END lines and the base64 between them"
    text = re.sub(r"https?://\S+", "", text).strip(" .;:(") or type(exc).__name__
    return safe(text[:300])
