"""The one bulk write path: insert many rows, silently skipping those already stored.

Hand-written because SQLAlchemy's generic executemany runs Python bind processing plus statement
compilation per batch, which dominates a million-quote ingest. Here SQLite gets one prepared
``INSERT OR IGNORE`` fed through SQLAlchemy's own type processors, and PostgreSQL gets ``COPY`` into a
temporary staging table followed by ``INSERT … SELECT … ON CONFLICT DO NOTHING`` — the fastest idempotent
path it offers. Both report how many rows were actually added.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table


def _as_tuples(rows: Sequence[Any], columns: Sequence[str]) -> list[tuple[Any, ...]]:
    if rows and isinstance(rows[0], Mapping):
        return [tuple(r[c] for c in columns) for r in rows]
    return [tuple(r) for r in rows]


def insert_ignore(conn: Connection, table: Table, rows: Sequence[Any], *, columns: Sequence[str] | None = None) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, or mappings) into ``table``; duplicates on any unique
    constraint are skipped. Returns the number of rows added."""
    if not rows:
        return 0
    if columns is None:
        columns = list(rows[0].keys()) if isinstance(rows[0], Mapping) else [c.name for c in table.columns]
    tuples = _as_tuples(rows, columns)
    if conn.dialect.name == "sqlite":
        return _sqlite(conn, table, columns, tuples)
    if conn.dialect.name == "postgresql":
        return _postgresql(conn, table, columns, tuples)
    raise NotImplementedError(f"bulk insert not supported on {conn.dialect.name}")


def _processors(conn: Connection, table: Table, columns: Sequence[str]) -> list[Any]:
    dialect = conn.dialect
    return [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]


def _sqlite(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> int:
    processors = _processors(conn, table, columns)
    # Bulk rows repeat the same few values per column (a file's quotes share a handful of timestamps), so each
    # conversion is memoised: this halves the cost of a million-row insert.
    active = [(i, p, {}) for i, p in enumerate(processors) if p is not None]
    if active:
        converted = []
        for row in rows:
            values = list(row)
            for i, proc, memo in active:
                raw = values[i]
                try:
                    values[i] = memo[raw]
                except KeyError:
                    values[i] = memo[raw] = proc(raw)
                except TypeError:  # unhashable value
                    values[i] = proc(raw)
            converted.append(values)
        rows = converted  # type: ignore[assignment]
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT OR IGNORE INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
        return cursor.rowcount
    finally:
        cursor.close()


def _postgresql(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> int:
    json_cols = {i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)}
    stage = f"_stage_{table.name}"
    cols = ", ".join(columns)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP")
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                if json_cols:
                    row = tuple(json.dumps(v) if i in json_cols and v is not None else v for i, v in enumerate(row))
                copy.write_row(row)
        cur.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT DO NOTHING")
        return cur.rowcount
