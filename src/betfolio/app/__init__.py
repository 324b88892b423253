"""PySide6 desktop application: portfolio, matches and coverage, live monitor, backtest runner, providers.

Qt is imported only inside this package (and only when the app, its tests or its benchmark run), so the rest
of Betfolio never pays for it.
"""

from __future__ import annotations

import ctypes
import sys

#: Added once to None's reference count; far more than any session can leak (see ``keep_none_alive``).
_NONE_PIN = 1 << 40


def keep_none_alive() -> None:
    """Work around PySide6 6.12 dropping a reference to ``None`` on every call of a void Qt method.

    On CPython 3.11 ``None`` is an ordinary refcounted object (it is immortal from 3.12 on), and each call such
    as ``label.setText(...)`` or ``processEvents()`` returns ``None`` to Python without taking a reference for
    it: the count falls by one per call and the interpreter aborts ("none_dealloc") after a few thousand UI
    updates. Raising the count once by 2**40 makes ``None`` effectively immortal, as it is on 3.12+; nothing
    ever frees it, so this changes no behaviour besides preventing the abort.
    """
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    count = ctypes.c_ssize_t.from_address(id(None))
    if count.value < _NONE_PIN:
        count.value += _NONE_PIN


keep_none_alive()
