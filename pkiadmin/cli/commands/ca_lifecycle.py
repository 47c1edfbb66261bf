"""`pkiadmin-cli ca adopt` and `ca cross-sign`: take over a CA made elsewhere (an `openssl ca`
directory, an XCA export) with what it issued, its revocations and its CRL number; certify a
trusted partner CA inside the namespace agreed with them."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from pkiadmin.cli.context import (
    issuer_secret,
    opened_workspace,
    passphrase_options,
    read_passphrase,
    shares_file_option,
    user_errors,
)
from pkiadmin.core.base.display import safe
from pkiadmin.core.exchange import trust_store as trust
from pkiadmin.core.inventory import records as inventory
from pkiadmin.core.issuance import authorities
from pkiadmin.core.issuance import root as rootca
from pkiadmin.core.keys import files as keys
from pkiadmin.core.lifecycle import adopt as adoption
from pkiadmin.core.lifecycle import cross, renew, retire, rollover
from pkiadmin.core.workspace.folder import Workspace
from pkiadmin.core.x509.names import SubjectSpec

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("adopt")
@click.option("--cert", "cert_file", required=True, type=_FILE, help="The CA's certificate.")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=_FILE,
    help="Its private key: PEM (encrypted PKCS#8, traditional, or unencrypted), DER or PKCS#12.",
)
@click.option(
    "--key-passphrase-env",
    default=None,
    help="Environment variable holding the passphrase of the key file as it is now.",
)
@click.option(
    "--index-txt",
    "index",
    type=_FILE,
    default=None,
    help="openssl ca's index.txt: the certificates it issued and their revocations.",
)
@click.option(
    "--issued",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of the certificates it issued (default: newcerts/ beside index.txt).",
)
@click.option("--crl", type=_FILE, default=None, help="Its last CRL (PEM or DER).")
@click.option("--crlnumber", type=_FILE, default=None, help="openssl ca's crlnumber file.")
@click.option(
    "--passphrase-env",
    default=None,
    help="Environment variable holding the new passphrase pkiadmin encrypts the key with.",
)
@click.option(
    "--passphrase-fd", type=int, default=None, help="Read the new passphrase from this fd."
)
@click.option("--yes", is_flag=True, help="Do not ask after showing what will be adopted.")
@click.pass_context
def adopt(
    ctx: click.Context,
    cert_file: Path,
    key_file: Path,
    key_passphrase_env: str | None,
    index: Path | None,
    issued: Path | None,
    crl: Path | None,
    crlnumber: Path | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    yes: bool,
) -> None:
    """Adopt a CA made elsewhere: its key is checked against its certificate and kept encrypted
    under a new passphrase; the certificates in index.txt are imported and linked, their
    revocations kept with their dates and reasons, and the CRL number continued; audited."""
    old_secret = None
    if key_passphrase_env is not None:
        old_secret = os.environ.get(key_passphrase_env)
        if old_secret is None:
            raise click.UsageError(f"The environment variable {key_passphrase_env} is not set.")
    sources = adoption.Sources(cert_file, key_file, old_secret, index, issued, crl, crlnumber)
    with opened_workspace(ctx) as ws, user_errors():
        found = adoption.plan(ws, sources)
        click.echo(safe(adoption.describe(found)))
        if not yes and not click.confirm("Adopt this CA?", default=False):
            raise click.ClickException("Nothing was adopted.")
        secret = read_passphrase(passphrase_env, passphrase_fd, new=True)
        done = adoption.adopt(ws, found, secret)
    click.echo(
        f"Adopted CA {done.ca_id} (certificate {done.cert_id}): {done.issued} issued "
        f"certificate(s), {done.revoked} revocation(s); the key is in {done.key_path.name}, "
        "encrypted."
    )
    for note in done.notes:
        click.echo(f"Note: {safe(note)}")


def _partner_cert_id(ws: Workspace, which: str) -> int:
    """A partner CA certificate by its id or by its SHA-256 (as read on the call; a prefix of 16
    hex digits or more)."""
    if which.isdigit() and len(which) < 16:
        return int(which)
    wanted = which.replace(":", "").replace(" ", "").lower()
    if len(wanted) < 16:
        raise click.BadParameter("give the certificate id or at least 16 hex digits of its SHA-256")
    found = [c for c in trust.partner_certificates(ws.db) if c.sha256.startswith(wanted)]
    if len(found) != 1:
        raise click.BadParameter(
            f"{len(found)} partner CA certificates have a SHA-256 starting {wanted} (partner show NAME "
            "lists them)"
        )
    return found[0].cert_id


@click.command("cross-sign")
@click.argument("ca_id", type=int)
@click.argument("partner_ca")
@click.option(
    "--permitted",
    multiple=True,
    required=True,
    help="A namespace to trust (repeatable): dns:NAME, ip:NETWORK/PREFIX, email:DOMAIN, uri:HOST.",
)
@click.option("--excluded", multiple=True, help="A namespace to exclude inside it (repeatable).")
@click.option("--validity-days", type=int, default=cross.DEFAULT_DAYS, show_default=True)
@click.option("--path-length", type=int, default=None, help="Default: the partner CA's own.")
@click.option("--policy-oid", "policy_oids", multiple=True, help="Certificate policy OID.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the cross-certificate here (PEM), for the relying parties' servers.",
)
@passphrase_options
@shares_file_option
@click.option("--yes", is_flag=True, help="Do not ask after showing what will be signed.")
@click.pass_context
def cross_sign(
    ctx: click.Context,
    ca_id: int,
    partner_ca: str,
    permitted: tuple[str, ...],
    excluded: tuple[str, ...],
    validity_days: int,
    path_length: int | None,
    policy_oids: tuple[str, ...],
    out: Path | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
    yes: bool,
) -> None:
    """Cross-certify a trusted partner CA (PARTNER_CA: its certificate id, or its SHA-256) under
    CA_ID, constrained to the namespaces given, so that relying parties who trust only our root
    accept the partner's certificates inside them and nothing outside."""
    with opened_workspace(ctx) as ws, user_errors():
        request = cross.CrossRequest(
            _partner_cert_id(ws, partner_ca), permitted, excluded, validity_days, path_length,
            policy_oids,
        )  # fmt: skip
        found = cross.plan(ws, ca_id, request)
        click.echo(safe(cross.describe(found)))
        if not yes and not click.confirm("Sign this cross-certificate?", default=False):
            raise click.ClickException("Nothing was signed.")
        secret, words = issuer_secret(
            authorities.get_authority(ws.db, ca_id), passphrase_env, passphrase_fd, shares_file
        )
        done = cross.sign(ws, found, secret, words)
    click.echo(
        f"Signed cross-certificate {done.cert_id}: {safe(done.certificate.subject.rfc4514_string())}."
    )
    if out is not None:
        try:
            out.write_bytes(done.certificate.public_bytes(serialization.Encoding.PEM))
        except OSError as exc:
            raise click.ClickException(f"{out} cannot be written ({exc.strerror}); the "
                                       "cross-certificate is in the inventory (cert export).") from exc  # fmt: skip
        click.echo(f"Wrote {out}")


@click.command("renew")
@click.argument("ca_id", type=int)
@click.option("--validity-days", type=int, default=5 * 365, show_default=True)
@passphrase_options
@shares_file_option
@click.option("--yes", is_flag=True, help="Do not ask after showing what will be signed.")
@click.pass_context
def renew_ca(
    ctx: click.Context,
    ca_id: int,
    validity_days: int,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
    yes: bool,
) -> None:
    """Renew intermediate CA_ID with the same key: its issuer (held here; its passphrase or
    shares are asked for) signs a successor with the same subject, key and constraints; the CA
    goes on under it, linked to the certificate it replaces."""
    with opened_workspace(ctx) as ws, user_errors():
        found = renew.plan(ws, ca_id, validity_days)
        click.echo(safe(renew.describe(ws, found)))
        if not yes and not click.confirm("Sign the renewed certificate?", default=False):
            raise click.ClickException("Nothing was signed.")
        secret, words = issuer_secret(
            authorities.get_authority(ws.db, found.issuer_ca_id),
            passphrase_env,
            passphrase_fd,
            shares_file,
        )
        done = renew.sign(ws, found, secret, words)
    click.echo(
        f"Renewed CA {done.ca_id}: certificate {done.cert_id} replaces {done.old_cert_id}, valid "
        f"until {done.certificate.not_valid_after_utc:%Y-%m-%d}."
    )


@click.command("renewals")
@click.option("--all", "show_all", is_flag=True, help="Every intermediate, not only those due.")
@click.pass_context
def renewals(ctx: click.Context, show_all: bool) -> None:
    """Intermediate CAs whose renewal is due (a third of the validity left, or the CA's
    --renew-at setting), and each root's key age and when to plan its rollover; exit 1 if a
    renewal is due."""
    with opened_workspace(ctx) as ws, user_errors():
        found = renew.renewals(ws.db, include_later=show_all)
        due = renew.renewals(ws.db)
        ages = rollover.key_ages(ws.db)
    now = datetime.now(UTC)
    for item in found:
        click.echo(f"CA {item.ca_id} {safe(item.describe(now))}")
    if not found:
        click.echo("No renewal is due.")
    for age in ages:
        mark = "PLAN THE ROLLOVER NOW: " if now >= age.plan_by else ""
        click.echo(f"Root CA {age.ca_id} {safe(age.name)}: {mark}{age.describe(now)}")
    if due:
        raise click.ClickException(f"{len(due)} renewal(s) due: pkiadmin-cli ca renew CA_ID")


@click.command("rollover")
@click.argument("old_ca_id", type=int)
@click.option("--cn", "common_name", required=True, help="The new root's common name.")
@click.option("--org", "organization", default=None, help="Organisation (default: the old root's).")
@click.option("--ou", "organizational_unit", default=None, help="Organisational unit.")
@click.option("--country", default=None, help="Country (default: the old root's).")
@click.option(
    "--algorithm",
    type=click.Choice([a.value for a in keys.KeyAlgorithm]),
    default=keys.KeyAlgorithm.EC_P384.value,
    show_default=True,
)
@click.option("--validity-days", type=int, default=rootca.DEFAULT_VALIDITY_DAYS, show_default=True)
@click.option(
    "--path-length", type=int, default=None, help="The new root's pathLen (default: none)."
)
@passphrase_options
@shares_file_option
@click.option(
    "--new-passphrase-env", default=None, help="Variable with the new root key's passphrase."
)
@click.option("--new-passphrase-fd", type=int, default=None, help="Read it from this fd.")
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the new root and both link certificates here (PEM).",
)
@click.pass_context
def rollover_root(
    ctx: click.Context,
    old_ca_id: int,
    common_name: str,
    organization: str | None,
    organizational_unit: str | None,
    country: str | None,
    algorithm: str,
    validity_days: int,
    path_length: int | None,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
    new_passphrase_env: str | None,
    new_passphrase_fd: int | None,
    out_dir: Path | None,
) -> None:
    """Roll root OLD_CA_ID over to a new key (quick mode, unwitnessed): a new root, the new root
    signed by the old one, and the old root signed by the new one, so that relying parties that
    trust either root accept certificates under both; audited."""
    with opened_workspace(ctx) as ws, user_errors():
        old = authorities.get_authority(ws.db, old_ca_id)
        old_cert = inventory.load_certificate(ws.db, old.cert_id)

        def attribute(oid: x509.ObjectIdentifier) -> str:
            values = old_cert.subject.get_attributes_for_oid(oid)
            return str(values[0].value) if values else ""

        request = rootca.RootCaRequest(
            SubjectSpec(
                common_name,
                attribute(NameOID.ORGANIZATION_NAME) if organization is None else organization,
                attribute(NameOID.ORGANIZATIONAL_UNIT_NAME)
                if organizational_unit is None
                else organizational_unit,
                attribute(NameOID.COUNTRY_NAME) if country is None else country,
            ),
            keys.KeyAlgorithm(algorithm),
            validity_days,
            path_length,
        )
        request.validated_name()
        secret, words = issuer_secret(old, passphrase_env, passphrase_fd, shares_file)
        new_secret = read_passphrase(
            new_passphrase_env, new_passphrase_fd, new=True, prompt="New root key passphrase"
        )
        done = rollover.rollover(ws, old_ca_id, request, secret, new_secret, words)
    new_root, new_by_old, old_by_new = done.certificates
    click.echo(
        f"New root CA {done.new_ca_id} (certificate {done.new_root_id}): "
        f"{safe(new_root.subject.rfc4514_string())}"
    )
    click.echo(f"  link, new root signed by the old one: certificate {done.new_by_old_id}")
    click.echo(f"  link, old root signed by the new one: certificate {done.old_by_new_id}")
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, cert in (
            ("new-root.pem", new_root),
            ("new-root-by-old-root.pem", new_by_old),
            ("old-root-by-new-root.pem", old_by_new),
        ):
            (out_dir / name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        click.echo(f"Wrote the three certificates to {out_dir}")
    click.echo(
        "Send partners a new trust package (package build): it carries the new root and the "
        "links, and they trust the new root only after a verification call."
    )


@click.command("retire")
@click.argument("ca_id", type=int)
@click.option("--reason", required=True, help="Why the CA is retired (recorded in the audit log).")
@click.pass_context
def retire_ca(ctx: click.Context, ca_id: int, reason: str) -> None:
    """Retire CA_ID: it signs no new certificate from now on, and its CRLs go on until what it
    signed has expired or been revoked (BR 4.9.7); audited."""
    with opened_workspace(ctx) as ws, user_errors():
        until = retire.retire(ws, ca_id, reason)
    if until is None:
        click.echo(f"CA {ca_id} is retired; nothing it signed is valid: its key can be destroyed.")
    else:
        click.echo(
            f"CA {ca_id} is retired. Keep publishing its CRLs until {until:%Y-%m-%d}, when the "
            "last certificate it signed expires, then destroy its key (ca destroy-key)."
        )


@click.command("destroy-key")
@click.argument("ca_id", type=int)
@click.option(
    "--witness", "witnesses", multiple=True, required=True, help="A witness (repeatable)."
)
@click.option(
    "--backup",
    "backups",
    multiple=True,
    help="A backup medium holding a copy of the key, to be destroyed by hand (repeatable).",
)
@click.option(
    "--final-crl",
    is_flag=True,
    help="Sign a final CRL valid until the last certificate the CA signed expires.",
)
@passphrase_options
@shares_file_option
@click.option("--yes", is_flag=True, help="Do not ask before destroying the key.")
@click.pass_context
def destroy_key(
    ctx: click.Context,
    ca_id: int,
    witnesses: tuple[str, ...],
    backups: tuple[str, ...],
    final_crl: bool,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
    yes: bool,
) -> None:
    """Destroy the key of retired CA_ID before witnesses: the key signs a certificate of
    destruction (into exports/retired/), then its file is overwritten and removed; audited."""
    with opened_workspace(ctx) as ws, user_errors():
        authority = authorities.get_authority(ws.db, ca_id)
        if not yes and not click.confirm(
            f"Destroy the key of '{authority.name}' for good?", default=False
        ):
            raise click.ClickException("Nothing was destroyed.")
        secret, words = issuer_secret(authority, passphrase_env, passphrase_fd, shares_file)
        done = retire.destroy_key(ws, ca_id, secret, witnesses, backups, words, final_crl)
    if done.final_crl_number is not None:
        click.echo(f"Signed the final CRL {done.final_crl_number}.")
    click.echo(f"The key of CA {ca_id} is destroyed. Certificate of destruction: {done.statement}")
    for backup in backups:
        click.echo(f"Destroy by hand, before the witnesses: {safe(backup)}")


@click.command("verify-destruction")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_context
def verify_destruction(ctx: click.Context, folder: Path) -> None:
    """Check a certificate of destruction: its signature under the CA certificate beside it,
    and that the workspace recorded that key destroyed."""
    with opened_workspace(ctx) as ws, user_errors():
        click.echo(retire.verify(folder, ws.db))
