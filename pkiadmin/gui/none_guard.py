"""A guard against a reference-counting fault of PySide6 6.12 under CPython 3.11: each time
Python calls a Qt method that returns nothing (QTimer.start, QCoreApplication.processEvents,
a signal's emit ...), one reference to None is released that was never taken. None starts with
some 20,000 references, so after that many calls the interpreter aborts with "Fatal Python
error: none_dealloc: deallocating None": pkiadmin would crash after a while of ordinary use.
From Python 3.12 None is immortal and this does nothing; before, None is given a reference
count no session can use up (None is never freed in any case)."""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 40  # references added to None: over 10^12 Qt calls


def keep_none_alive() -> None:
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    count = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt, the object's first field
    if count.value < _RESERVE:
        count.value += _RESERVE
