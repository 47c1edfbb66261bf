"""Shared CLI plumbing: the workspace option, error handling, passphrase sources, JSON output."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pkiadmin.cli.state import CliState
from pkiadmin.core.base.errors import PassphraseError, PkiError
from pkiadmin.core.workspace import location, storage

if TYPE_CHECKING:  # imported where used: a command that needs no CA key does not load them
    from pkiadmin.core.issuance import authorities
    from pkiadmin.core.workspace.folder import Workspace
    from pkiadmin.core.workspace.rows import Rows

F = TypeVar("F", bound=Callable[..., Any])


def workspace_path(ctx: click.Context) -> Path:
    state = ctx.find_object(CliState)
    chosen = state.workspace_path if state else None
    return chosen if chosen is not None else location.default_path()


@contextmanager
def opened_workspace(ctx: click.Context) -> Iterator[Workspace]:
    from pkiadmin.core.workspace import folder as workspace

    with user_errors(), workspace.open_workspace(workspace_path(ctx)) as ws:
        for notice in ws.notices:
            click.echo(f"Note: {notice}", err=True)
        yield ws


@contextmanager
def read_workspace(ctx: click.Context) -> Iterator[Rows]:
    """The workspace's database for a command that only reads: a read-only connection without
    sqlite-utils when the workspace is ready as it is, else the workspace opened as
    opened_workspace opens it (to upgrade its schema or deal with leftovers first)."""
    from pkiadmin.core.workspace import reader

    with user_errors():
        db = reader.open_read_only(workspace_path(ctx).expanduser().absolute())
    if db is not None:
        with user_errors(), db:
            yield db
        return
    with opened_workspace(ctx) as ws:
        yield ws.db


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a known PkiError into click's 'Error: ...' and a non-zero exit; bugs keep their traceback."""
    try:
        yield
    except PkiError as exc:
        raise click.ClickException(str(exc)) from exc
    except (sqlite3.Error, OSError) as exc:
        said = storage.describe(exc)
        if said is None:
            raise
        raise click.ClickException(said) from exc


def passphrase_options(func: F) -> F:
    """--passphrase-env VAR and --passphrase-fd N: never the passphrase itself on the command line."""
    func = click.option(
        "--passphrase-fd",
        type=int,
        default=None,
        help="Read the key passphrase from this open file descriptor (first line).",
    )(func)
    return click.option(
        "--passphrase-env",
        metavar="VAR",
        default=None,
        help="Read the key passphrase from this environment variable.",
    )(func)


def shares_file_option(func: F) -> F:
    """--shares-file FILE: for a ceremony CA, a quorum of custodian shares, one per line."""
    return click.option(
        "--shares-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="For a ceremony CA: a file with a quorum of custodian shares, one share's words per line.",
    )(func)


def read_passphrase(
    env: str | None, fd: int | None, *, new: bool, prompt: str | None = None
) -> str:
    """From the environment, a file descriptor, or an interactive prompt (asked twice when new)."""
    if env is not None and fd is not None:
        raise click.UsageError("Give either --passphrase-env or --passphrase-fd, not both.")
    if env is not None:
        value = os.environ.get(env)
        if value is None:
            raise click.UsageError(f"The environment variable {env} is not set.")
    elif fd is not None:
        try:
            with os.fdopen(fd, "r", encoding="utf-8", closefd=False) as stream:
                value = stream.readline().rstrip("\r\n")
        except OSError as exc:
            raise click.UsageError(
                f"Cannot read the passphrase from file descriptor {fd}: {exc.strerror}"
            ) from exc
    else:
        prompt = prompt or ("New key passphrase" if new else "Key passphrase")
        value = click.prompt(prompt, hide_input=True, confirmation_prompt=new)
    if new:
        try:
            from pkiadmin.core.keys import passphrase

            passphrase.check_strength(value)
        except PassphraseError as exc:
            raise click.ClickException(str(exc)) from exc
    return value


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def echo_json(value: Any) -> None:
    click.echo(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def echo_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def prompt_shares(intro: str) -> list[str]:
    """Each custodian present types their share's words in turn (input hidden); empty ends it."""
    click.echo(intro)
    words: list[str] = []
    while True:
        share = click.prompt(
            f"Share {len(words) + 1} (empty when the quorum has entered theirs)",
            default="",
            hide_input=True,
            show_default=False,
        )
        if not share.strip():
            return words
        words.append(share)


def read_shares(shares_file: Path | None) -> list[str]:
    """A quorum of shares from a file, or typed by each custodian in turn (input hidden)."""
    if shares_file is not None:
        from pkiadmin.core.keys import shares

        return shares.read_share_lines(shares_file.read_text(encoding="utf-8").splitlines())
    return prompt_shares(
        "The key is protected by custodian shares. Each custodian present types their share's words."
    )


def issuer_secret(
    authority: authorities.Authority,
    passphrase_env: str | None,
    passphrase_fd: int | None,
    shares_file: Path | None,
) -> tuple[str | None, list[str] | None]:
    if authority.needs_shares:
        return None, read_shares(shares_file)
    return read_passphrase(passphrase_env, passphrase_fd, new=False), None
