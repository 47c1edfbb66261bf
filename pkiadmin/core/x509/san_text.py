"""Subject alternative names as an operator types them: DNS:name, IP:address, URI:uri or
email:address (the kind in any case)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from cryptography import x509

from pkiadmin.core.base.errors import ValidationError

_KINDS: dict[str, Callable[[str], x509.GeneralName]] = {
    "dns": x509.DNSName,
    "ip": lambda v: x509.IPAddress(ipaddress.ip_address(v)),
    "uri": x509.UniformResourceIdentifier,
    "email": x509.RFC822Name,
}


def parse(values: Iterable[str]) -> list[x509.GeneralName]:
    """Each value as its general name; the first one not of those forms is named."""
    names: list[x509.GeneralName] = []
    for value in values:
        kind, _, name = value.partition(":")
        make = _KINDS.get(kind.lower())
        try:
            if make is None or not name:
                raise ValueError(kind)  # noqa: TRY301 - one message for every bad form
            names.append(make(name))
        except ValueError:
            raise ValidationError(
                f"'{value}' is not DNS:name, IP:address, URI:uri or email:address."
            ) from None
    return names
