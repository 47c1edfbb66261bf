"""`pkiadmin-cli ca ...`: certificate authorities held in this workspace.

Also `ca make-csr` (a CSR for a CA to be signed elsewhere) and `ca index-txt` (openssl ca's
database of what a CA issued). What only some commands need is imported in those commands, so
that signing a CSR does not load batches, key generation for services or tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pkiadmin.cli.context import (
    echo_json,
    echo_table,
    issuer_secret,
    opened_workspace,
    passphrase_options,
    read_passphrase,
    read_shares,
    shares_file_option,
    user_errors,
)
from pkiadmin.core.base import fingerprint
from pkiadmin.core.base.display import safe
from pkiadmin.core.base.errors import ValidationError
from pkiadmin.core.inventory import certrecord
from pkiadmin.core.issuance import authorities, intermediate, requests
from pkiadmin.core.issuance import root as rootca
from pkiadmin.core.keys import files as keys
from pkiadmin.core.x509.keyid import SkiMethod
from pkiadmin.core.x509.names import SubjectSpec

CA_PROFILES = {p.value for p in intermediate.CaProfile}


# The CA's life after day one (cli/commands/ca_lifecycle.py): imported only when one of these
# runs (or is listed), since the lifecycle brings much of the domain that signing does not need.
_LIFECYCLE = {
    "adopt": "adopt",
    "cross-sign": "cross_sign",
    "renew": "renew_ca",
    "renewals": "renewals",
    "rollover": "rollover_root",
    "retire": "retire_ca",
    "destroy-key": "destroy_key",
    "verify-destruction": "verify_destruction",
}


class _CaGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *_LIFECYCLE])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LIFECYCLE:
            from pkiadmin.cli.commands import ca_lifecycle

            command: click.Command = getattr(ca_lifecycle, _LIFECYCLE[cmd_name])
            return command
        return super().get_command(ctx, cmd_name)


@click.group("ca", cls=_CaGroup)
def group() -> None:
    """Create and list certificate authorities."""


@group.command("create-root")
@click.option(
    "--cn", "common_name", required=True, help="Common name, e.g. 'Example Root CA 2026'."
)
@click.option("--org", "organization", default="", help="Organisation (O).")
@click.option("--ou", "organizational_unit", default="", help="Organisational unit (OU).")
@click.option("--country", default="", help="Two-letter ISO 3166 country code (C), e.g. DE.")
@click.option("--state", default="", help="State or province (ST).")
@click.option("--locality", default="", help="Locality (L).")
@click.option(
    "--algorithm",
    type=click.Choice([a.value for a in keys.KeyAlgorithm]),
    default=keys.KeyAlgorithm.EC_P384.value,
    show_default=True,
    help="Key algorithm.",
)
@click.option("--validity-days", type=int, default=rootca.DEFAULT_VALIDITY_DAYS, show_default=True)
@click.option(
    "--path-length", type=int, default=None, help="basicConstraints pathLen (default: none)."
)
@click.option(
    "--ski-method",
    type=click.Choice([m.value for m in SkiMethod]),
    default=SkiMethod.RFC7093.value,
    show_default=True,
    help="Subject key identifier method.",
)
@click.option(
    "--token",
    default=None,
    help="Generate the key on this PKCS#11 token (by label) instead of an encrypted key file; "
    "--passphrase-env/--passphrase-fd then give the token's PIN.",
)
@click.option(
    "--key-label", default=None, help="The key's label on the token (required with --token)."
)
@click.option(
    "--module",
    default=None,
    help="PKCS#11 module path (default: PKIADMIN_PKCS11_MODULE or SoftHSM2).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@passphrase_options
@click.pass_context
def create_root(
    ctx: click.Context,
    common_name: str,
    organization: str,
    organizational_unit: str,
    country: str,
    state: str,
    locality: str,
    algorithm: str,
    validity_days: int,
    path_length: int | None,
    ski_method: str,
    token: str | None,
    key_label: str | None,
    module: str | None,
    as_json: bool,
    passphrase_env: str | None,
    passphrase_fd: int | None,
) -> None:
    """Create a self-signed root CA with a new key, stored encrypted under a passphrase, or
    generated on a PKCS#11 token (--token) where it never leaves."""
    from pkiadmin.core.issuance import root_on_token as token_root
    from pkiadmin.core.keys import pkcs11 as hsm

    request = rootca.RootCaRequest(
        subject=SubjectSpec(
            common_name, organization, organizational_unit, country, state, locality
        ),
        algorithm=keys.KeyAlgorithm(algorithm),
        validity_days=validity_days,
        path_length=path_length,
        ski_method=SkiMethod(ski_method),
    )
    with user_errors():
        request.validated_name()  # reject a bad subject before asking for a passphrase
    if token is not None:
        if not key_label:
            raise click.UsageError("--token needs --key-label: the new key's label on the token.")
        pin = read_passphrase(
            passphrase_env, passphrase_fd, new=False, prompt=f"PIN of token '{token}'"
        )
        with opened_workspace(ctx) as ws, user_errors():
            on_token = token_root.create_root_on_token(
                ws, request, hsm.KeyRef(token, key_label, module), pin
            )
        if as_json:
            echo_json(on_token)
            return
        _describe_root(on_token.ca_id, on_token.record)
        click.echo(
            f"  key:            {on_token.key_uri} ({on_token.key.algorithm}, never leaves the token)"
        )
        click.echo(
            "  read back:      "
            + ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in on_token.key.attributes.items())
        )
        return
    secret = read_passphrase(passphrase_env, passphrase_fd, new=True)
    with opened_workspace(ctx) as ws:
        result = rootca.create_root_ca(ws, request, secret)
    if as_json:
        echo_json(result)
        return
    _describe_root(result.ca_id, result.record)
    click.echo(f"  key file:       {result.key_path} (encrypted)")


def _describe_root(ca_id: int, record: certrecord.CertRecord) -> None:
    digest = bytes.fromhex(record.sha256)
    click.echo(f"Created root CA {ca_id}: {record.subject}")
    click.echo(f"  certificate id: {record.id}")
    click.echo(f"  serial:         {record.serial_hex}")
    click.echo(f"  valid until:    {record.not_after:%Y-%m-%d %H:%M:%S} UTC")
    click.echo(f"  SHA-256:        {fingerprint.grouped_hex(digest)}")
    click.echo(f"  PGP words:      {' '.join(fingerprint.pgp_words(digest))}")


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_cas(ctx: click.Context, as_json: bool) -> None:
    """List the CAs whose keys this workspace holds."""
    with opened_workspace(ctx) as ws:
        cas = authorities.list_authorities(ws.db)
    if as_json:
        echo_json(cas)
        return
    echo_table(
        ("ID", "KIND", "NAME", "CERT", "KEY", "VALID UNTIL"),
        [
            (str(c.id), c.kind, c.name, str(c.cert_id), c.key_backend, f"{c.not_after:%Y-%m-%d}")
            for c in cas
        ],
    )


@group.command("verify-key")
@click.argument("ca_id", type=int)
@passphrase_options
@shares_file_option
@click.pass_context
def verify_key(
    ctx: click.Context,
    ca_id: int,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
) -> None:
    """Check that the passphrase (or custodian shares) opens the CA's key and that it matches its certificate."""
    with opened_workspace(ctx) as ws, user_errors():
        authority = authorities.get_authority(ws.db, ca_id)
        secret: str | None = None
        words: list[str] | None = None
        if authority.needs_shares:
            words = read_shares(shares_file)
        else:
            secret = read_passphrase(passphrase_env, passphrase_fd, new=False)
        check = authorities.verify_key(ws, ca_id, secret, words)
    unlocked = "custodian shares open" if words else "passphrase opens"
    click.echo(
        f"OK: the {unlocked} {check.key_path.name}, and the key matches the certificate of CA {check.ca_id} ({check.name})."
    )


def _intermediate_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--profile",
                "profile_name",
                default="issuing",
                show_default=True,
                help="policy CA (path length 1) or issuing CA (0); for sign-csr also an end-entity "
                "profile (tls-server, tls-client, mtls, ocsp-responder, code-signing, or your own: "
                "pkiadmin-cli profile list).",
            ),
            click.option(
                "--validity-days",
                type=int,
                default=None,
                help=f"Default: {intermediate.DEFAULT_VALIDITY_DAYS} for a CA, the profile's for an "
                "end entity. Clamped to the issuer's notAfter.",
            ),
            click.option(
                "--permitted-dns",
                multiple=True,
                help="Name constraint: permitted DNS subtree (repeatable).",
            ),
            click.option(
                "--excluded-dns",
                multiple=True,
                help="Name constraint: excluded DNS subtree (repeatable).",
            ),
            click.option(
                "--eku",
                multiple=True,
                help="Extended key usage constraint, e.g. serverAuth (repeatable).",
            ),
            click.option(
                "--policy-oid", multiple=True, help="Certificate policy OID (repeatable)."
            ),
            click.option("--cps-uri", default="", help="CPS URI qualifier for the policies."),
        ]
    ):
        func = option(func)
    return func


def _request(
    profile_name: str,
    validity_days: int | None,
    permitted_dns: tuple[str, ...],
    excluded_dns: tuple[str, ...],
    eku: tuple[str, ...],
    policy_oid: tuple[str, ...],
    cps_uri: str,
) -> intermediate.IntermediateRequest:
    if profile_name not in CA_PROFILES:
        raise click.BadParameter(
            f"'{profile_name}' is not a CA profile (policy or issuing).", param_hint="--profile"
        )
    return intermediate.IntermediateRequest(
        profile=intermediate.CaProfile(profile_name),
        validity_days=validity_days or intermediate.DEFAULT_VALIDITY_DAYS,
        permitted_dns=permitted_dns,
        excluded_dns=excluded_dns,
        eku=eku,
        policy_oids=policy_oid,
        cps_uri=cps_uri,
    )


def _show_plan(plan: intermediate.SigningPlan) -> None:
    click.echo(f"About to sign: {safe(plan.subject.rfc4514_string())}")
    click.echo(intermediate.preview(plan))


@group.command("sign-csr")
@click.argument("ca_id", type=int)
@click.argument("csr_id", type=int)
@_intermediate_options
@passphrase_options
@shares_file_option
@click.option(
    "--yes", is_flag=True, help="Do not ask for confirmation after showing what will be signed."
)
@click.pass_context
def sign_csr(
    ctx: click.Context,
    ca_id: int,
    csr_id: int,
    profile_name: str,
    validity_days: int | None,
    permitted_dns: tuple[str, ...],
    excluded_dns: tuple[str, ...],
    eku: tuple[str, ...],
    policy_oid: tuple[str, ...],
    cps_uri: str,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
    yes: bool,
) -> None:
    """Sign an imported CSR as an intermediate CA certificate, or with an end-entity profile as a
    service's certificate (quick mode: no witnesses, audited as such)."""
    if profile_name not in CA_PROFILES:
        if permitted_dns or excluded_dns or eku or policy_oid or cps_uri:
            raise click.UsageError(
                "--permitted-dns, --excluded-dns, --eku, --policy-oid and --cps-uri are for CA "
                f"certificates; the end-entity profile '{profile_name}' sets what its certificates carry."
            )
        _sign_end_entity(
            ctx,
            ca_id,
            csr_id,
            profile_name,
            validity_days,
            passphrase_env,
            passphrase_fd,
            shares_file,
            yes,
        )
        return
    request = _request(
        profile_name, validity_days, permitted_dns, excluded_dns, eku, policy_oid, cps_uri
    )
    with opened_workspace(ctx) as ws, user_errors():
        record = requests.get(ws, csr_id)
        if record.status != "pending":
            raise click.ClickException(
                f"CSR {csr_id} was already signed (certificate {record.cert_id})."
            )
        plan = intermediate.prepare(ws, ca_id, requests.load_request(ws, csr_id), request)
        _show_plan(plan)
        if not yes and not click.confirm("Sign this certificate?", default=False):
            raise click.ClickException("Nothing was signed.")
        secret, words = issuer_secret(
            authorities.get_authority(ws.db, ca_id), passphrase_env, passphrase_fd, shares_file
        )
        issued = intermediate.sign(ws, plan, secret, words, csr_id=csr_id)
    _show_issued(issued.cert_id, issued.certificate)


def _sign_end_entity(
    ctx: click.Context,
    ca_id: int,
    csr_id: int,
    profile_name: str,
    validity_days: int | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
    yes: bool,
) -> None:
    from pkiadmin.core.issuance import end_entity, profiles

    with opened_workspace(ctx) as ws, user_errors():
        record = requests.get(ws, csr_id)
        if record.status != "pending":
            raise click.ClickException(
                f"CSR {csr_id} was already signed (certificate {record.cert_id})."
            )
        plan = end_entity.prepare(
            ws,
            ca_id,
            requests.load_request(ws, csr_id),
            profiles.get(ws.db, profile_name),
            validity_days,
        )
        click.echo(safe(end_entity.preview(plan)))
        if not yes and not click.confirm("Sign this certificate?", default=False):
            raise click.ClickException("Nothing was signed.")
        secret, words = issuer_secret(
            authorities.get_authority(ws.db, ca_id), passphrase_env, passphrase_fd, shares_file
        )
        issued = end_entity.sign(ws, plan, secret, words, csr_id=csr_id)
    _show_issued(issued.cert_id, issued.certificate)
    if issued.cabf_lint is not None and issued.cabf_lint.blocking:
        click.echo("CA/B Forum TLS Baseline Requirements findings (recorded, not blocking):")
        for finding in issued.cabf_lint.blocking:
            click.echo(f"  {finding}")


def _show_issued(cert_id: int, certificate: x509.Certificate) -> None:
    click.echo(f"Signed certificate {cert_id}: {safe(certificate.subject.rfc4514_string())}")
    digest = certificate.fingerprint(hashes.SHA256())
    click.echo(f"  SHA-256:   {fingerprint.grouped_hex(digest)}")
    click.echo(f"  PGP words: {' '.join(fingerprint.pgp_words(digest))}")
    click.echo(f"Export it with its chain: pkiadmin-cli cert export {cert_id} --chain --format pem")


@group.command("sign-batch")
@click.argument("ca_id", type=int)
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--profile",
    "profile_name",
    required=True,
    help="The end-entity profile for every certificate (pkiadmin-cli profile list).",
)
@click.option("--validity-days", type=int, default=None, help="Default: the profile's.")
@passphrase_options
@shares_file_option
@click.option("--yes", is_flag=True, help="Do not ask after showing what will be signed.")
@click.pass_context
def sign_batch(
    ctx: click.Context,
    ca_id: int,
    folder: Path,
    profile_name: str,
    validity_days: int | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
    yes: bool,
) -> None:
    """Sign every CSR in FOLDER (*.csr, *.pem, *.req, *.der) under one end-entity profile: the
    plan of every certificate first, one confirmation, one unlock of the CA key."""
    from pkiadmin.core.issuance import batch, profiles

    with opened_workspace(ctx) as ws, user_errors():
        plan = batch.plan_folder(
            ws, ca_id, folder, profiles.get(ws.db, profile_name), validity_days
        )
        click.echo(safe(batch.preview(plan)))
        if not plan.items:
            raise click.ClickException("No CSR in the folder can be signed under this profile.")
        if not yes and not click.confirm(
            f"Sign these {len(plan.items)} certificate(s)?", default=False
        ):
            raise click.ClickException("Nothing was signed.")
        secret, words = issuer_secret(
            authorities.get_authority(ws.db, ca_id), passphrase_env, passphrase_fd, shares_file
        )
        with click.progressbar(length=len(plan.items), label="Signing") as bar:
            result = batch.sign(ws, plan, secret, words, lambda _p: bar.update(1))
    click.echo(
        f"Signed {len(result.issued)} certificate(s)"
        + (f": {result.issued[0][1]} to {result.issued[-1][1]}" if result.issued else "")
        + f"; {len(result.failed) + len(plan.refused)} left out."
    )
    for name, why in result.failed:
        click.echo(f"- {safe(name)}: {safe(why)}")
    if result.failed or plan.refused:
        ctx.exit(1)


def _general_names(values: tuple[str, ...]) -> list[x509.GeneralName]:
    from pkiadmin.core.x509 import san_text

    try:
        return san_text.parse(values)
    except ValidationError as exc:
        raise click.BadParameter(str(exc), param_hint="--san") from None


@group.command("issue")
@click.argument("ca_id", type=int)
@click.option("--profile", "profile_name", required=True, help="The end-entity profile.")
@click.option(
    "--cn", "common_name", default="", help="Common name (a SAN too where the profile says)."
)
@click.option(
    "--san", multiple=True, help="DNS:name, IP:address, URI:uri or email:address (repeatable)."
)
@click.option(
    "--algorithm",
    type=click.Choice([a.value for a in keys.KeyAlgorithm]),
    default="ec-p256",
    show_default=True,
)
@click.option("--validity-days", type=int, default=None, help="Default: the profile's.")
@click.option(
    "--out",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the key and certificate files (never overwritten).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pkcs12", "pkcs8"]),
    default="pkcs12",
    show_default=True,
    help="pkcs12: one .p12 (PBES2, AES-256); pkcs8: an encrypted key file and fullchain.pem.",
)
@click.option(
    "--password-env", metavar="VAR", default=None, help="The export password, from this variable."
)
@click.option(
    "--password-fd", type=int, default=None, help="The export password, from this file descriptor."
)
@click.option(
    "--issuer-passphrase-env",
    metavar="VAR",
    default=None,
    help="The issuing CA key's passphrase, from this variable.",
)
@shares_file_option
@click.pass_context
def issue_with_key(
    ctx: click.Context,
    ca_id: int,
    profile_name: str,
    common_name: str,
    san: tuple[str, ...],
    algorithm: str,
    validity_days: int | None,
    folder: Path,
    fmt: str,
    password_env: str | None,
    password_fd: int | None,
    issuer_passphrase_env: str | None,
    shares_file: Path | None,
) -> None:
    """Generate a key here and issue its certificate under an end-entity profile (rehearsals,
    small installations); the key leaves encrypted under a password and is not kept."""
    from pkiadmin.core.issuance import key_and_cert, profiles

    sans = _general_names(san)
    password = read_passphrase(
        password_env, password_fd, new=True, prompt="Password for the exported key"
    )
    with opened_workspace(ctx) as ws, user_errors():
        issuer = authorities.get_authority(ws.db, ca_id)
        secret, words = issuer_secret(issuer, issuer_passphrase_env, None, shares_file)
        made = key_and_cert.issue(
            ws,
            ca_id,
            profiles.get(ws.db, profile_name),
            common_name,
            sans,
            keys.KeyAlgorithm(algorithm),
            password,
            folder,
            pkcs12_format=fmt == "pkcs12",
            validity_days=validity_days,
            issuer_passphrase=secret,
            issuer_shares=words,
        )
    _show_issued(made.cert_id, made.certificate)
    for path, digest in made.files.items():
        click.echo(f"Wrote {path}  SHA-256 {digest}")


@group.command("create-intermediate")
@click.argument("ca_id", type=int)
@click.option("--cn", "common_name", required=True, help="Common name of the new CA.")
@click.option(
    "--org",
    "organization",
    default="",
    help="Organisation (O); the name policy may require the issuer's.",
)
@click.option("--country", default="", help="Country (C).")
@click.option(
    "--algorithm",
    type=click.Choice([a.value for a in keys.KeyAlgorithm]),
    default="ec-p384",
    show_default=True,
)
@_intermediate_options
@click.option(
    "--issuer-passphrase-env",
    metavar="VAR",
    default=None,
    help="The issuer key's passphrase, from this variable.",
)
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Also write the new CA's encrypted key and its chain to this folder (for the online CA).",
)
@click.option(
    "--export-format",
    type=click.Choice(["pkcs8", "pkcs12"]),
    default="pkcs8",
    show_default=True,
    help="pkcs8: the encrypted key file and a PEM chain; pkcs12: key and chain in one .p12 under the key's passphrase.",
)
@shares_file_option
@passphrase_options
@click.pass_context
def create_intermediate(
    ctx: click.Context,
    ca_id: int,
    common_name: str,
    organization: str,
    country: str,
    algorithm: str,
    profile_name: str,
    validity_days: int | None,
    permitted_dns: tuple[str, ...],
    excluded_dns: tuple[str, ...],
    eku: tuple[str, ...],
    policy_oid: tuple[str, ...],
    cps_uri: str,
    issuer_passphrase_env: str | None,
    export_dir: Path | None,
    export_format: str,
    shares_file: Path | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
) -> None:
    """Generate an intermediate CA's key here, sign it, and keep the key encrypted (it can sign the next tier)."""
    from pkiadmin.core.issuance import held_ca

    request = _request(
        profile_name, validity_days, permitted_dns, excluded_dns, eku, policy_oid, cps_uri
    )
    new_secret = read_passphrase(passphrase_env, passphrase_fd, new=True)
    with opened_workspace(ctx) as ws, user_errors():
        issuer = authorities.get_authority(ws.db, ca_id)
        secret, words = issuer_secret(issuer, issuer_passphrase_env, None, shares_file)
        held = held_ca.create_intermediate(
            ws,
            ca_id,
            SubjectSpec(common_name, organization, country=country),
            request,
            new_secret,
            keys.KeyAlgorithm(algorithm),
            secret,
            words,
        )
        exported = (
            held_ca.export_key_bundle(
                ws, held.ca_id, export_dir, new_secret, pkcs12=export_format == "pkcs12"
            )
            if export_dir
            else None
        )
    click.echo(
        f"Created intermediate CA {held.ca_id} (certificate {held.issued.cert_id}); key {held.key_path} (encrypted)"
    )
    if exported:
        click.echo(f"Exported the encrypted key to {exported[0]} and the chain to {exported[1]}")


@group.command("settings")
@click.argument("ca_id", type=int)
@click.option(
    "--crl-url",
    multiple=True,
    help="CRL distribution point URL put into certificates this CA signs.",
)
@click.option("--ca-issuers-url", multiple=True, help="AIA caIssuers URL.")
@click.option("--ocsp-url", multiple=True, help="AIA OCSP URL.")
@click.option(
    "--renew-at",
    default=None,
    help="Renewal due when this fraction of the certificate's validity is left (default 0.33).",
)
@click.pass_context
def settings(
    ctx: click.Context,
    ca_id: int,
    crl_url: tuple[str, ...],
    ca_issuers_url: tuple[str, ...],
    ocsp_url: tuple[str, ...],
    renew_at: str | None,
) -> None:
    """Set the URLs a CA writes into the certificates it signs, and when its renewal is due
    (audited)."""
    with opened_workspace(ctx) as ws, user_errors():
        kept = intermediate.ca_settings(ws.db, ca_id).get("renew_at", [])
        intermediate.set_ca_settings(
            ws,
            ca_id,
            {
                "crl_urls": crl_url,
                "ca_issuers_urls": ca_issuers_url,
                "ocsp_urls": ocsp_url,
                "renew_at": [renew_at] if renew_at is not None else kept,
            },
        )
        current = intermediate.ca_settings(ws.db, ca_id)
    for key, urls in current.items():
        click.echo(f"{key}: {', '.join(urls) or '-'}")


@click.command("make-csr")
@click.argument("ca_id", type=int)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the CSR (PEM); never overwritten.",
)
@passphrase_options
@shares_file_option
@click.pass_context
def make_csr(
    ctx: click.Context,
    ca_id: int,
    out: Path,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
) -> None:
    """Write a CSR for CA_ID signed by its key, for a cross-signature by another organisation's root."""
    from pkiadmin.core.issuance import ca_csr

    with opened_workspace(ctx) as ws, user_errors():
        secret, words = issuer_secret(
            authorities.get_authority(ws.db, ca_id), passphrase_env, passphrase_fd, shares_file
        )
        result = ca_csr.make_csr(ws, ca_id, out, secret, words)
    digest = bytes.fromhex(result.sha256)
    click.echo(f"Wrote {result.path}: {result.request.subject.rfc4514_string()}")
    click.echo(f"  SHA-256:   {fingerprint.grouped_hex(digest)}")
    click.echo(f"  PGP words: {' '.join(fingerprint.pgp_words(digest))}")


@click.command("index-txt")
@click.argument("ca_id", type=int)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="A new file to write.")
@click.pass_context
def index_txt(ctx: click.Context, ca_id: int, out: Path) -> None:
    """Write the OpenSSL CA database (index.txt) of what this CA issued, for an `openssl ca` setup."""
    from pkiadmin.core.issuance import openssl_index

    with opened_workspace(ctx) as ws, user_errors():
        entries = openssl_index.write_index_txt(ws, ca_id, out)
    click.echo(f"Wrote {out} with {entries} entr{'y' if entries == 1 else 'ies'}.")


group.add_command(make_csr)
group.add_command(index_txt)
