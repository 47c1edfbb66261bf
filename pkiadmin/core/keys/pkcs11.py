"""CA keys on a hardware security module through PKCS#11 (SoftHSM2 stands in for one in tests).

The key is generated on the token (SENSITIVE, non-EXTRACTABLE, sign only) and never leaves it.
An adapter presents it to cryptography as a private key whose sign() runs on the token, so every
signing path (root, intermediates, CRLs, reports) works unchanged, with the same lint-then-sign
and TBS-equality checks. The PIN is asked for when needed, never stored or logged."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import NoDigestInfo, Prehashed

from pkiadmin.core.base.errors import NotFoundError, PassphraseError, PkiError, ValidationError
from pkiadmin.core.keys import files as keys

MODULE_ENV = "PKIADMIN_PKCS11_MODULE"
DEFAULT_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
)


class HsmError(PkiError):
    """The token, its PIN or a key on it is not as needed; the message says what to do."""


def module_path(explicit: str | None = None) -> str:
    """The PKCS#11 module: given, from PKIADMIN_PKCS11_MODULE, or SoftHSM2's usual place."""
    wanted = explicit or os.environ.get(MODULE_ENV)
    for candidate in (wanted,) if wanted else DEFAULT_MODULES:
        if candidate and Path(candidate).is_file():
            return candidate
    explicit = wanted
    raise HsmError(
        f"No PKCS#11 module found{f' at {explicit}' if explicit else ''}. Install the HSM vendor's "
        f"module (or softhsm2) and give its path with --module or {MODULE_ENV}."
    )


def _lib(module: str) -> Any:
    import pkcs11

    try:
        return pkcs11.lib(module)
    except (RuntimeError, OSError) as exc:
        raise HsmError(f"The PKCS#11 module {module} cannot be loaded ({exc}).") from exc


@dataclass(frozen=True)
class TokenInfo:
    label: str
    manufacturer: str
    model: str
    serial: str
    firmware: str


def _token_info(token: Any) -> TokenInfo:
    fw = token.firmware_version
    firmware = f"{fw[0]}.{fw[1]}" if isinstance(fw, tuple) else str(fw)
    serial = (
        token.serial.decode("ascii", "replace")
        if isinstance(token.serial, bytes)
        else str(token.serial)
    )
    return TokenInfo(
        token.label, token.manufacturer_id.strip(), token.model.strip(), serial.strip(), firmware
    )


def list_tokens(module: str | None = None, rescan: bool = True) -> tuple[TokenInfo, ...]:
    """Initialised tokens (an empty slot shows no label and is left out). A rescan sees tokens
    inserted since the module was loaded; it is skipped while a key is unlocked (see _rescan)."""
    lib = _lib(module_path(module))
    if rescan:
        _rescan(lib)
    return tuple(_token_info(t) for t in lib.get_tokens() if t.label)


def _rescan(lib: Any) -> bool:
    """Reload the module's view of the slots, so that a token inserted since shows up. That
    finalizes the module, which ends every session of this process and logs it out: so it is not
    done while this process holds a logged-in session (an unlocked CA key). True if done."""
    if _LOGINS:
        return False
    lib.reinitialize()
    return True


def logout_all() -> None:
    """Close every logged-in session of this process (on exit, or when starting afresh)."""
    for label in list(_LOGINS):
        logout(label)


def token_of(s: Any) -> TokenInfo:
    """The token an open session is on."""
    return _token_info(s.token)


def _find_token(lib: Any, label: str) -> Any:
    from pkcs11 import exceptions as p11

    rescanned = False
    for attempt in range(2):
        try:
            return lib.get_token(token_label=label)
        except p11.NoSuchToken:
            if attempt == 0:
                rescanned = _rescan(lib)
        except p11.MultipleTokensReturned as exc:
            raise HsmError(
                f"More than one token is labelled '{label}'; give each token its own label."
            ) from exc
    hint = (
        ""
        if rescanned
        else " A token inserted while another token's key is unlocked is seen once that key is"
        " locked again (or after a restart)."
    )
    raise HsmError(
        f"No token labelled '{label}' is present. Insert the HSM or token, or check its label "
        f"(hsm list).{hint}"
    )


# PKCS#11 logs an application in per token, not per session: this process keeps one logged-in
# session per token. A new unlock closes the old one (logging out) and logs in again with the PIN
# given, so every unlock checks its PIN; keys found before find their handle again.
_LOGINS: dict[str, Any] = {}
_GENERATIONS: dict[str, int] = {}


def logout(token_label: str) -> None:
    """Close this process's session on the token, which logs it out."""
    from pkcs11 import exceptions as p11

    previous = _LOGINS.pop(token_label, None)
    if previous is not None:
        with contextlib.suppress(p11.PKCS11Error):  # a token that went away took it along
            previous.close()


def p11_errors() -> type[Exception]:
    """The PKCS#11 library's base exception, for callers that clean up after a failure."""
    from pkcs11 import exceptions as p11

    return p11.PKCS11Error


def current_session(token_label: str) -> Any | None:
    """This process's logged-in session on the token, if any."""
    return _LOGINS.get(token_label)


def release(key: object) -> None:
    """Log out of the token a key lives on, when done with it (file keys: nothing to do)."""
    if isinstance(key, _OnToken):
        logout(key.token)


def open_session(module: str | None, token_label: str, pin: str) -> Any:
    """A logged-in read-write session; the PIN's errors are turned into messages."""
    from pkcs11 import exceptions as p11

    lib = _lib(module_path(module))
    token = _find_token(lib, token_label)
    logout(token_label)
    try:
        opened = token.open(rw=True, user_pin=pin)
    except p11.PinIncorrect:
        raise PassphraseError(
            f"The PIN of token '{token_label}' is wrong; nothing was done."
        ) from None
    except p11.PinLocked:
        raise HsmError(
            f"The user PIN of token '{token_label}' is locked after too many wrong PINs; the security officer must reset it."
        ) from None
    except (p11.PinLenRange, p11.PinInvalid):
        raise PassphraseError(f"That is not a valid PIN for token '{token_label}'.") from None
    except (p11.TokenNotPresent, p11.DeviceRemoved):
        raise HsmError(f"Token '{token_label}' was removed. Insert it and try again.") from None
    _LOGINS[token_label] = opened
    _GENERATIONS[token_label] = _GENERATIONS.get(token_label, 0) + 1
    return opened


@contextmanager
def session(module: str | None, token_label: str, pin: str) -> Iterator[Any]:
    """open_session() for one short operation, logged out afterwards."""
    opened = open_session(module, token_label, pin)
    try:
        yield opened
    finally:
        if _LOGINS.get(token_label) is opened:
            logout(token_label)


class _TokenHandle:
    """A private key's handle, found again by label (and checked against its public key) after
    the token's session was replaced by a later unlock."""

    def __init__(self, handle: Any, session_: Any, label: str, public: object) -> None:
        self.label = label
        self.token = str(session_.token.label)
        self.public = public
        self._handle = handle
        self._generation = _GENERATIONS.get(self.token, 0)

    def current(self) -> Any:
        if self._generation != _GENERATIONS.get(self.token, 0):
            current = _LOGINS.get(self.token)
            if current is None:
                raise HsmError(f"Token '{self.token}' is logged out; unlock the key again.")
            self._handle, _public = _find_handle(current, self.label, self.public)
            self._generation = _GENERATIONS.get(self.token, 0)
        return self._handle


class _OnToken:
    """What both token key adapters share: where the key is, and that it never comes out."""

    def __init__(self, handle: _TokenHandle) -> None:
        self._token_handle = handle
        self.label = handle.label
        self.token = handle.token

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token={self.token!r}, label={self.label!r})"

    def _sign_on_token(self, data: bytes, mechanism: Any) -> bytes:
        return bytes(
            _on_token(
                lambda: self._token_handle.current().sign(data, mechanism=mechanism), self.label
            )
        )

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        raise HsmError("The key is on the token and cannot be extracted.")

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        return self


class Pkcs11EcKey(_OnToken, ec.EllipticCurvePrivateKey):
    """An EC key on the token: cryptography calls sign(); the digest is signed on the token."""

    def __init__(self, handle: _TokenHandle, public: ec.EllipticCurvePublicKey) -> None:
        super().__init__(handle)
        self._public = public

    def sign(
        self,
        data: bytes | bytearray | memoryview,
        signature_algorithm: ec.EllipticCurveSignatureAlgorithm,
    ) -> bytes:
        from pkcs11 import Mechanism
        from pkcs11.util.ec import encode_ecdsa_signature

        if not isinstance(signature_algorithm, ec.ECDSA) or isinstance(
            signature_algorithm.algorithm, Prehashed
        ):
            raise TypeError("Only ECDSA over a hash of the data is supported by the token key.")
        digest = hashes.Hash(signature_algorithm.algorithm)
        digest.update(bytes(data))
        # SoftHSM2 and most HSMs offer raw CKM_ECDSA: hash here, sign the digest there.
        return bytes(
            encode_ecdsa_signature(self._sign_on_token(digest.finalize(), Mechanism.ECDSA))
        )

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._public.curve

    @property
    def key_size(self) -> int:
        return self._public.curve.key_size

    def exchange(self, algorithm: ec.ECDH, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        raise HsmError("The token key only signs.")

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        raise HsmError("The key is on the token and cannot be extracted.")


_RSA_MECHANISMS = {
    "sha256": "SHA256_RSA_PKCS",
    "sha384": "SHA384_RSA_PKCS",
    "sha512": "SHA512_RSA_PKCS",
}


class Pkcs11RsaKey(_OnToken, rsa.RSAPrivateKey):
    """An RSA key on the token, PKCS#1 v1.5 signatures (what pkiadmin's profiles use)."""

    def __init__(self, handle: _TokenHandle, public: rsa.RSAPublicKey) -> None:
        super().__init__(handle)
        self._public = public

    def sign(
        self,
        data: bytes,
        padding: padding.AsymmetricPadding,
        algorithm: hashes.HashAlgorithm | Prehashed | NoDigestInfo,
    ) -> bytes:
        from cryptography.hazmat.primitives.asymmetric import padding as paddings
        from pkcs11 import Mechanism

        if (
            not isinstance(padding, paddings.PKCS1v15)
            or not isinstance(algorithm, hashes.HashAlgorithm)
            or algorithm.name not in _RSA_MECHANISMS
        ):
            raise TypeError("Only PKCS#1 v1.5 with SHA-256/384/512 is supported by the token key.")
        return self._sign_on_token(bytes(data), getattr(Mechanism, _RSA_MECHANISMS[algorithm.name]))

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def decrypt(self, ciphertext: bytes, padding: padding.AsymmetricPadding) -> bytes:
        raise HsmError("The token key only signs.")

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        raise HsmError("The key is on the token and cannot be extracted.")


def _on_token(action: Any, label: str) -> Any:
    from pkcs11 import exceptions as p11

    try:
        return action()
    except (p11.ObjectHandleInvalid, p11.KeyHandleInvalid) as exc:
        raise HsmError(f"The key '{label}' is no longer on the token; nothing was signed.") from exc
    except (
        p11.SessionClosed,
        p11.SessionHandleInvalid,
        p11.DeviceRemoved,
        p11.TokenNotPresent,
    ) as exc:
        raise HsmError(
            f"The token holding '{label}' went away; insert it, unlock again, and retry."
        ) from exc
    except p11.UserNotLoggedIn as exc:
        raise HsmError(f"The session for '{label}' is no longer logged in; unlock again.") from exc


def _public_of(handle: Any) -> keys.PublicKey:
    from pkcs11 import KeyType
    from pkcs11.util.ec import encode_ec_public_key
    from pkcs11.util.rsa import encode_rsa_public_key

    if handle.key_type == KeyType.EC:
        der = encode_ec_public_key(handle)
    else:
        from asn1crypto import keys as asn1_keys

        der = asn1_keys.PublicKeyInfo(
            {
                "algorithm": {"algorithm": "rsa"},
                "public_key": asn1_keys.RSAPublicKey.load(encode_rsa_public_key(handle)),
            }
        ).dump()
    public = serialization.load_der_public_key(der)
    assert isinstance(public, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey))  # noqa: S101
    return public


def _adapter(private: Any, public: keys.PublicKey, label: str, owner: Any) -> keys.PrivateKey:
    handle = _TokenHandle(private, owner, label, public)
    if isinstance(public, ec.EllipticCurvePublicKey):
        return Pkcs11EcKey(handle, public)
    return Pkcs11RsaKey(handle, public)


@dataclass(frozen=True)
class TokenKey:
    """A key pair on the token, as pkiadmin reads it back."""

    label: str
    id_hex: str
    algorithm: str
    spki_sha256: str
    attributes: dict[str, bool]


def algorithm_of(public: keys.PublicKey) -> str:
    name, size = keys.describe(public)
    return f"RSA {size}" if name == "RSA" else name


def spki_sha256(public: keys.PublicKey) -> str:
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


_READ_BACK = ("SENSITIVE", "EXTRACTABLE", "ALWAYS_SENSITIVE", "NEVER_EXTRACTABLE", "LOCAL")


def _attributes(private: Any) -> dict[str, bool]:
    from pkcs11 import Attribute

    return {f"CKA_{name}": bool(private[getattr(Attribute, name)]) for name in _READ_BACK}


def list_keys(s: Any) -> tuple[TokenKey, ...]:
    from pkcs11 import Attribute, ObjectClass

    found = []
    for private in list(s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})):
        label = private.label
        public_handle = s.get_key(object_class=ObjectClass.PUBLIC_KEY, label=label)
        public = _public_of(public_handle)
        found.append(
            TokenKey(
                label,
                bytes(private[Attribute.ID]).hex(),
                algorithm_of(public),
                spki_sha256(public),
                _attributes(private),
            )
        )
    return tuple(found)


def generate(s: Any, label: str, algorithm: keys.KeyAlgorithm) -> tuple[keys.PrivateKey, TokenKey]:
    """A new key pair on the token, refused when the label is taken; returns it and its read-back."""
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    if not label.strip():
        raise ValidationError("The key needs a label on the token.")
    if list(s.get_objects({Attribute.LABEL: label})):
        raise ValidationError(
            f"The token already holds an object labelled '{label}'; pkiadmin never generates over an existing label."
        )
    key_id = secrets.token_bytes(16)
    private_template = {
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.SIGN: True,
        Attribute.DECRYPT: False,
        Attribute.UNWRAP: False,
        Attribute.DERIVE: False,
    }
    public_template = {Attribute.VERIFY: True, Attribute.ENCRYPT: False, Attribute.WRAP: False}
    if algorithm.value.startswith("ec-"):
        curve = {"ec-p256": "secp256r1", "ec-p384": "secp384r1"}[algorithm.value]
        params = s.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(curve)}, local=True
        )
        public_handle, private = params.generate_keypair(
            store=True, label=label, id=key_id,
            public_template=public_template, private_template=private_template,
        )  # fmt: skip
    else:
        bits = int(algorithm.value.split("-")[1])
        public_handle, private = s.generate_keypair(
            KeyType.RSA, bits, store=True, label=label, id=key_id,
            public_template={**public_template, Attribute.PUBLIC_EXPONENT: b"\x01\x00\x01"},
            private_template=private_template,
        )  # fmt: skip
    public = _public_of(public_handle)
    info = TokenKey(
        label, key_id.hex(), algorithm_of(public), spki_sha256(public), _attributes(private)
    )
    if not (
        info.attributes["CKA_SENSITIVE"]
        and not info.attributes["CKA_EXTRACTABLE"]
        and info.attributes["CKA_LOCAL"]
    ):
        raise HsmError(
            f"The token did not keep '{label}' sensitive and non-extractable: {info.attributes}."
        )
    return _adapter(private, public, label, s), info


def find(s: Any, label: str, expected: object) -> keys.PrivateKey:
    """The key with this label AND exactly this public key (the CA certificate's)."""
    private, public = _find_handle(s, label, expected)
    return _adapter(private, public, label, s)


def _find_handle(s: Any, label: str, expected: object) -> tuple[Any, keys.PublicKey]:
    from pkcs11 import Attribute, ObjectClass

    privates = list(
        s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label})
    )
    publics = list(s.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.LABEL: label}))
    if not privates or not publics:
        raise NotFoundError(f"The token holds no key labelled '{label}'.")
    if len(privates) > 1 or len(publics) > 1:
        raise HsmError(
            f"The token holds more than one key labelled '{label}'; pkiadmin will not guess."
        )
    public = _public_of(publics[0])
    if public != expected:
        raise HsmError(
            f"The key labelled '{label}' on the token does not belong to the CA certificate; nothing was signed."
        )
    return privates[0], public


@dataclass(frozen=True)
class KeyRef:
    """Where a CA key lives on a token, kept in the workspace as an RFC 7512 PKCS#11 URI."""

    token: str
    label: str
    module: str | None = None

    def uri(self) -> str:
        text = f"pkcs11:token={quote(self.token, safe='')};object={quote(self.label, safe='')}"
        return f"{text}?module-path={quote(self.module, safe='/')}" if self.module else text

    @classmethod
    def parse(cls, uri: str) -> KeyRef:
        parts = urlsplit(uri)
        if parts.scheme != "pkcs11":
            raise ValidationError(f"'{uri}' is not a PKCS#11 URI.")
        fields = dict(p.split("=", 1) for p in parts.path.split(";") if "=" in p)
        if "token" not in fields or "object" not in fields:
            raise ValidationError(f"The PKCS#11 URI '{uri}' needs token= and object=.")
        module = parse_qs(parts.query).get("module-path", [None])[0]
        return cls(unquote(fields["token"]), unquote(fields["object"]), module)
