"""Orchestrations used by the CLI, the app and the demo alike: the backtest job, the training pipeline, the demo.

A job strings library calls together (load → run → summarise → report → record); the commands in `betfolio.cli`
and the app's pages only parse input and present what a job returns.
"""
