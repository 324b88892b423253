"""`betfolio db upgrade|current`: schema management."""

from __future__ import annotations

import typer

from betfolio.cli.options import DbOption, console

db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, revision: str = "head") -> None:
    """Create or migrate the schema to the latest revision."""
    from betfolio.store.engine import describe, make_engine
    from betfolio.store.migrate import upgrade

    engine = make_engine(db)
    rev = upgrade(engine, revision)
    console.print(f"{describe(engine)} is at revision {rev}")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Show the schema revision of the database."""
    from betfolio.store.engine import describe, make_engine
    from betfolio.store.migrate import current_revision, head_revision

    engine = make_engine(db)
    console.print(f"{describe(engine)}: revision {current_revision(engine)} (latest {head_revision(engine)})")
