"""PySide6 desktop application: portfolio, matches and coverage, live monitor, backtest runner, providers.

Qt is imported only inside this package (and only when the app, its tests or its benchmark run), so the rest
of Betfolio never pays for it.
"""
