"""PySide6 desktop application: portfolio, matches and coverage, live monitor, backtest runner, providers.

Qt is imported only inside this package (and only when the app, its tests or its benchmark run), so the rest
of Betfolio never pays for it.
"""

from __future__ import annotations

import ctypes
import sys

#: Added once to each singleton's reference count; far more than any session can leak (see ``pin_singletons``).
_PIN = 1 << 40


def pin_singletons() -> None:
    """Work around PySide6 6.12 dropping references to ``None`` and ``True`` on CPython 3.11.

    Every call of a void Qt method (``label.setText(...)``, ``processEvents()``) returns ``None`` to Python, and
    every ``signal.emit(...)`` returns ``True``, without taking a reference for it. On CPython 3.11 these are
    ordinary refcounted objects (they are immortal from 3.12 on), so their counts fall by one per call and the
    interpreter aborts ("none_dealloc" / "bool_dealloc") after a few thousand UI updates. Raising the counts
    once by 2**40 makes them effectively immortal, exactly as on 3.12+; nothing ever frees these singletons, so
    this changes no behaviour besides preventing the abort.
    """
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    for singleton in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(singleton))
        if count.value < _PIN:
            count.value += _PIN


pin_singletons()
