"""PySide6 desktop application: portfolio, matches and coverage, live monitor, backtest runner, providers.

Qt is imported only inside this package (and only when the app, its tests or its benchmark run), so the rest
of Betfolio never pays for it. PySide6 6.12.0 drops references to ``None`` and ``True`` on CPython 3.11 (every
void Qt call and every ``emit``) and the interpreter aborts after a few thousand UI updates; 6.11.3 has no such
bug, so the ``app`` dependency is pinned below 6.12 instead of patching reference counts.
"""
