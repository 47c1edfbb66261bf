"""pkilint imported ahead of need, in a forked process, for a command that lints what it signs.

Importing pkilint takes about 0.3 s (its modules build the pyasn1 types of every ASN.1 module
they read), longer than `openssl x509 -req` takes to sign. A signing command calls `start()`
before it imports its own modules: the forked process imports pkilint and builds the RFC 5280
validator on the other CPU while this one imports the command, opens the workspace and derives
the key. `lint.lint_certificate` (and the chain and TLS lints) then send it the DER and read back
the findings.

It never weakens a lint: whenever the helper is not running, has died, or answers anything but
well-formed findings (pkilint raised, say), `findings()` returns None and the caller lints
in-process as it would have without it. The helper reads only what this process sends it, writes
nothing but its answers, and exits when this process closes the pipe, dies or calls `stop()`.

This module imports only the standard library, so `start()` costs a fork and nothing more."""

from __future__ import annotations

import json
import os
import signal
import struct
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NoReturn

# One raw finding as pkilint reports it: code, severity (pkilint's number), message, node path.
RawFinding = tuple[str, int, str, str]
# The lints the helper runs, by kind: each takes bytes (DER, options) and returns raw findings.
Lints = Mapping[str, Callable[..., tuple[RawFinding, ...]]]
_HEADER = struct.Struct(">I")
_MAX_FRAME = 64 * 1024 * 1024  # no certificate or findings list comes near this


@dataclass
class _Helper:
    pid: int
    requests: int  # this process writes DER here
    replies: int  # and reads the findings here


class _Current:
    helper: _Helper | None = None


def start(ready: Callable[[], Lints]) -> None:
    """Fork the helper, unless one is running or forking is not safe here (another thread runs:
    a fork copies only the calling thread, and any lock another one held stays held). The helper
    calls `ready` (which imports pkilint and assembles its validators) and then answers with the
    lint it names by kind."""
    if _Current.helper is not None or not hasattr(os, "fork") or threading.active_count() != 1:
        return
    to_child, from_parent = _pipe()
    to_parent, from_child = _pipe()
    pid = os.fork()
    if pid == 0:  # the helper
        os.close(to_child)
        os.close(from_child)
        _serve(from_parent, to_parent, ready)
    os.close(from_parent)
    os.close(to_parent)
    _Current.helper = _Helper(pid, to_child, from_child)


def running() -> bool:
    return _Current.helper is not None


def findings(kind: str, *parts: bytes) -> tuple[RawFinding, ...] | None:
    """pkilint's findings from the helper for lint `kind` (a name in lint.RAW_LINTS) of `parts`
    (DER, and what else that lint takes); None when there is no helper or it could not answer
    (it is then stopped, and the caller lints in-process)."""
    helper = _Current.helper
    if helper is None:
        return None
    try:
        _write_frame(helper.requests, _HEADER.pack(len(parts)) + kind.encode())
        for part in parts:
            _write_frame(helper.requests, part)
        answer = _read_frame(helper.replies)
        if answer is not None:
            return _decode(answer)
    except (OSError, ValueError):
        pass
    stop()  # it died, or answered with something cut short or malformed
    return None


def stop() -> None:
    """End the helper (it may still be importing: it is killed, not waited for) and reap it."""
    helper, _Current.helper = _Current.helper, None
    if helper is None:
        return
    for fd in (helper.requests, helper.replies):
        os.close(fd)
    try:
        os.kill(helper.pid, signal.SIGKILL)
        os.waitpid(helper.pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _pipe() -> tuple[int, int]:
    read_end, write_end = os.pipe()
    return write_end, read_end


def _serve(requests: int, replies: int, ready: Callable[[], Lints]) -> NoReturn:
    """The helper's life: import pkilint, then answer each certificate until the pipe closes.
    It never returns into the caller's code (no atexit handlers, no buffers of the parent's
    flushed a second time): it leaves through os._exit."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the command; it stops us
        _answer_each(requests, replies, ready())
    except BaseException:  # noqa: BLE001, S110 - the parent lints in-process instead
        pass
    os._exit(0)


def _answer_each(requests: int, replies: int, lints: Lints) -> None:
    while (head := _read_frame(requests)) is not None:
        (count,) = _HEADER.unpack(head[: _HEADER.size])
        kind = head[_HEADER.size :].decode()
        parts = []
        for _ in range(count):
            part = _read_frame(requests)
            if part is None:
                return
            parts.append(part)
        try:
            answer = json.dumps({"findings": lints[kind](*parts)}).encode()
        except Exception:  # noqa: BLE001 - pkilint raised: the parent runs it and sees why
            answer = b'{"failed": true}'
        _write_frame(replies, answer)


def _decode(answer: bytes) -> tuple[RawFinding, ...] | None:
    message = json.loads(answer)
    if not isinstance(message, dict) or not isinstance(message.get("findings"), list):
        return None
    decoded: list[RawFinding] = []
    for item in message["findings"]:
        if not (
            isinstance(item, list)
            and len(item) == 4
            and isinstance(item[0], str)
            and type(item[1]) is int
            and isinstance(item[2], str)
            and isinstance(item[3], str)
        ):
            raise ValueError("malformed finding from the lint helper")
        decoded.append((item[0], item[1], item[2], item[3]))
    return tuple(decoded)


def _write_frame(fd: int, data: bytes) -> None:
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_frame(fd: int) -> bytes | None:
    """One length-prefixed frame; None at a clean end of the stream."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > _MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes from the lint pipe")
    data = _read_exactly(fd, size)
    if data is None:
        raise ValueError("the lint pipe closed inside a frame")
    return data


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            if left == size and size:
                return None
            raise ValueError("the lint pipe closed inside a frame")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
