"""The `betfolio` command-line interface: thin typer commands, one module per command group.

`betfolio = betfolio.cli:main` is the console script; `app` is the root Typer application.
"""

from betfolio.cli.main import app, main

__all__ = ["app", "main"]
