"""`pkiadmin-cli hsm ...`: PKCS#11 tokens and the keys on them."""

from __future__ import annotations

import click

from pkiadmin.cli.context import (
    echo_json,
    echo_table,
    passphrase_options,
    read_passphrase,
    user_errors,
)
from pkiadmin.core.keys import pkcs11 as hsm


@click.group("hsm")
def group() -> None:
    """Hardware security modules (PKCS#11 tokens): list tokens and their keys."""


@group.command("list")
@click.option(
    "--module",
    default=None,
    help="PKCS#11 module path (default: PKIADMIN_PKCS11_MODULE or SoftHSM2).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_tokens(module: str | None, as_json: bool) -> None:
    """The initialised tokens the module offers: label, manufacturer, model, serial, firmware."""
    with user_errors():
        tokens = hsm.list_tokens(module)
    if as_json:
        echo_json(tokens)
        return
    echo_table(
        ("TOKEN", "MANUFACTURER", "MODEL", "SERIAL", "FIRMWARE"),
        [(t.label, t.manufacturer, t.model, t.serial, t.firmware) for t in tokens],
    )


@group.command("keys")
@click.argument("token")
@click.option("--module", default=None, help="PKCS#11 module path.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@passphrase_options
def list_keys(
    token: str,
    module: str | None,
    as_json: bool,
    passphrase_env: str | None,
    passphrase_fd: int | None,
) -> None:
    """The private keys on TOKEN (logs in with its PIN): label, algorithm, SPKI SHA-256 and the
    attributes that show the key was made there and cannot leave."""
    pin = read_passphrase(
        passphrase_env, passphrase_fd, new=False, prompt=f"PIN of token '{token}'"
    )
    with user_errors(), hsm.session(module, token, pin) as s:
        found = hsm.list_keys(s)
    if as_json:
        echo_json(found)
        return
    echo_table(
        ("LABEL", "ALGORITHM", "SPKI SHA-256", "LOCAL", "NEVER EXTRACTABLE", "ALWAYS SENSITIVE"),
        [
            (
                k.label,
                k.algorithm,
                k.spki_sha256[:32] + "…",
                "yes" if k.attributes["CKA_LOCAL"] else "NO",
                "yes" if k.attributes["CKA_NEVER_EXTRACTABLE"] else "NO",
                "yes" if k.attributes["CKA_ALWAYS_SENSITIVE"] else "NO",
            )
            for k in found
        ],
    )
