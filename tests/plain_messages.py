"""What a message shown to the operator must not contain: a parsing library's dump (ParseError
{…}, tags, parser locations), a traceback, an exception's name or repr, bytes, or a URL."""

from __future__ import annotations

import re
from pathlib import Path

DUMP = re.compile(
    r"ParseError|Traceback|https?://|UnexpectedTag|ShortData|InvalidValue|ExtraData|"
    r"[{}]|location|asn1|Error\(|<[a-z_.]+ object|\w+Error:|\\x[0-9a-f]{2}|b'"
)


def assert_plain(text: str, source: str = "") -> None:
    """`source`: the file the message names (its own name may contain anything)."""
    if source:
        text = text.replace(source, "FILE").replace(Path(source).name, "FILE")
    found = DUMP.search(text)
    assert found is None, f"{source}: {text!r} shows {found.group(0)!r}"
    assert text.strip(), f"{source}: an empty message"
