"""File → Export: the table the user is looking at, as CSV, written off the GUI thread and atomically."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt
from sqlalchemy import Engine

from betfolio.app.matches_model import COLUMNS, MatchesModel


def model_snapshot(model: QAbstractItemModel) -> tuple[list[str], list[list[str]]]:
    """Headers and display texts of every loaded row (read on the GUI thread: models belong to it)."""
    columns = model.columnCount()
    headers = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in range(columns)]
    rows = [
        ["" if (v := model.data(model.index(r, c))) is None else str(v) for c in range(columns)]
        for r in range(model.rowCount())
    ]
    return headers, rows


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write a CSV file atomically (a failure never leaves a half-written file); returns the rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    n = 0
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            for row in rows:
                writer.writerow(row)
                n += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def export_matches(engine: Engine, model: MatchesModel, path: Path) -> int:
    """Every match passing the table's filter (not only the pages loaded so far), as the table shows them.

    Runs on a pool thread: it pages through the store with the model's own page reader and touches no widget.
    """
    match_filter = model.current_filter

    def rows() -> Iterable[Sequence[str]]:
        cursor = None
        while True:
            page = model.read_page(match_filter, cursor)
            yield from (row.display for row in page.rows)
            if len(page.rows) < model.page_size:
                return
            cursor = page.cursor

    return write_csv(path, COLUMNS, rows())
