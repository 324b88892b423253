"""What every page shares: the database engine, the background reader and a signal that the data changed.

Pages never poll: after an ingest or a finished backtest the context emits ``data_changed`` and each page
reloads what it shows — through ``reads``, off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from sqlalchemy import Engine

from betfolio.app.background_reads import BackgroundReads
from betfolio.app.task_runner import TaskControl
from betfolio.store.engine import describe, make_engine
from betfolio.store.migrate import prepare_for_reading
from betfolio.store.queries import match_count


class AppContext(QObject):
    data_changed = Signal()
    navigate = Signal(str)

    def __init__(self, engine: Engine, settings_dir: Path | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.settings_dir = settings_dir
        self.reads = BackgroundReads(self)

    @classmethod
    def open(cls, url: str | None = None, settings_dir: Path | None = None) -> AppContext:
        """Open (and migrate) the database: a fresh install starts with an empty, valid schema.

        Blocking: the app calls ``open_engine`` on a worker thread and builds the context on the GUI thread.
        """
        return cls(open_engine(url), settings_dir)

    @property
    def database(self) -> str:
        return describe(self.engine)

    def match_count(self) -> int:
        """Blocking: call it inside a function handed to ``reads``, never from a slot."""
        with self.engine.connect() as conn:
            return match_count(conn)


def open_engine(url: str | None = None) -> Engine:
    """Connect to and migrate the database (a fresh install gets an empty, valid schema; a read-only one is
    browsed as it is, its writes refused with the reason). Blocking."""
    engine = make_engine(url)
    try:
        prepare_for_reading(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def ingest_bundled_sample(engine: Engine, control: TaskControl) -> dict[str, Any]:
    """Ingest the bundled football-data.co.uk sample (runs on a worker thread; one file = one transaction)."""
    from betfolio.data import bundled_sample
    from betfolio.ingest.football_data import discover, ingest_files

    with bundled_sample() as sample:
        files, problems = discover([sample])
        done = 0
        control.progress(0.0, f"ingesting {len(files)} files")

        def on_file(path: Path, _result: object) -> None:
            nonlocal done
            done += 1
            control.progress(done / max(len(files), 1), f"ingested {path.parent.name}/{path.name}")

        summary = ingest_files(engine, files, on_file=on_file)
    summary.errors[:0] = problems
    return summary.as_dict()
