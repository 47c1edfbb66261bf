"""`pkiadmin-cli`: the command-line entry point and its command groups.

Each group's module is imported only when the group runs (a lazy group), so `--help` and a
command of one group do not import every other group and its part of the domain. The groups'
help lines are kept here; tests/cli/test_cli.py checks they are the groups' own."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from pkiadmin.cli.state import ENV_VAR, CliState

# The order of `pkiadmin-cli --help`: name -> (module under pkiadmin.cli.commands, its help).
GROUPS: dict[str, tuple[str, str]] = {
    "workspace": ("workspace", "Create or inspect the workspace folder."),
    "ca": ("ca", "Create and list certificate authorities."),
    "profile": (
        "profile",
        "End-entity profiles: what a TLS server, client, OCSP responder... certificate contains.",
    ),
    "cert": ("cert", "Certificates in the inventory."),
    "compliance": (
        "compliance",
        "Compliance of every certificate with the policy: findings, policy, reports.",
    ),
    "csr": ("csr", "Certificate signing requests from the online CAs."),
    "keys": (
        "keys",
        "Known-bad keys: check a file, and the blocklists every CSR and signing is checked "
        "against.",
    ),
    "audit": ("audit", "The tamper-evident audit log."),
    "ceremony": ("ceremony", "Key ceremonies: plan, run (or rehearse), show, verify reports."),
    "crl": (
        "crl",
        "Certificate revocation lists of the CAs held here, and when they must be re-signed.",
    ),
    "ocsp": (
        "ocsp",
        "Pre-signed OCSP responses (RFC 6960) for an online responder or TLS stapling.",
    ),
    "hsm": ("hsm", "Hardware security modules (PKCS#11 tokens): list tokens and their keys."),
    "partner": ("partner", "Partner organisations and the OpenPGP keys packages travel under."),
    "trust": ("trust", "The partner trust store: CA certificates confirmed on a verified call."),
    "package": (
        "package",
        "Partner trust packages: our CA certificates and CRLs, signed and encrypted; theirs, "
        "checked.",
    ),
}

# Commands that lint a certificate before and after signing it: the lint helper (see
# core/x509/lint_ahead.py) imports pkilint on the other CPU while the command imports its own
# modules, opens the workspace and derives the key.
LINTS_AHEAD = {
    ("ca", "sign-csr"),
    ("ca", "issue"),
    ("ca", "create-root"),
    ("ca", "create-intermediate"),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they run, not when the program starts."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if tuple(args[:2]) in LINTS_AHEAD and not ctx.resilient_parsing:
            from pkiadmin.core.x509 import lint, lint_ahead

            lint_ahead.start(lint.prepared)
            ctx.call_on_close(lint_ahead.stop)
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(GROUPS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in GROUPS:
            return None
        if cmd_name not in self.commands:
            module = importlib.import_module(f"pkiadmin.cli.commands.{GROUPS[cmd_name][0]}")
            self.add_command(module.group, cmd_name)
        return self.commands[cmd_name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, from the help lines kept here (importing no group)."""
        limit = formatter.width - 6 - max(len(name) for name in GROUPS)
        rows = [
            (name, click.Command(name, help=text).get_short_help_str(limit))
            for name, (_, text) in GROUPS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from pkiadmin.core.base import version

    click.echo(version.version_text())
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "workspace_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=ENV_VAR,
    default=None,
    help=f"Workspace folder (default: ${ENV_VAR}, else the per-user data folder).",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the SHA-256 of the installed package files.",
)
@click.pass_context
def cli(ctx: click.Context, workspace_dir: Path | None) -> None:
    """pkiadmin: the offline root CA workstation (command line)."""
    ctx.obj = CliState(workspace_dir)


def main() -> None:
    cli(prog_name="pkiadmin-cli")
