"""What every page shares: the database engine and a signal that the data changed.

Pages never poll: after an ingest or a finished backtest the context emits ``data_changed`` and each page
reloads what it shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from sqlalchemy import Engine, func, select

from betfolio.app.worker import TaskControl
from betfolio.store.engine import describe, make_engine
from betfolio.store.migrate import upgrade
from betfolio.store.tables import matches_master


class AppContext(QObject):
    data_changed = Signal()
    navigate = Signal(str)

    def __init__(self, engine: Engine, settings_dir: Path | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.settings_dir = settings_dir

    @classmethod
    def open(cls, url: str | None = None, settings_dir: Path | None = None) -> AppContext:
        """Open (and migrate) the database: a fresh install starts with an empty, valid schema."""
        engine = make_engine(url)
        upgrade(engine)
        return cls(engine, settings_dir)

    @property
    def database(self) -> str:
        return describe(self.engine)

    def match_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(matches_master)).scalar_one())

    def is_empty(self) -> bool:
        return self.match_count() == 0


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
