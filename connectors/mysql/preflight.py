"""Pre-flight checks on the source database, before a pipeline reads anything (no Beam here)."""

from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa

from connectors.mysql.config import MySQLConfig
from connectors.mysql.engines import engine as make_engine
from connectors.mysql.hints import TABLE_ACCESS_DENIED, error_number, explain
from schema.drift import schema_drift
from schema.entities import SOURCE_SPECS


class PreflightError(RuntimeError):
    """The run cannot start; the message says what is wrong and how to fix it."""


def live_columns(config: MySQLConfig, tables: Iterable[str]) -> tuple[set[str], dict[str, list[str]]]:
    """(the database's table names, lower-cased; table -> its column names now) for `tables`."""
    engine = make_engine(config)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            present = {name.lower() for name in inspector.get_table_names()}
            for table in (t for t in tables if t.lower() in present):  # a privilege on the database is not SELECT
                conn.exec_driver_sql(f"SELECT 1 FROM `{table}` LIMIT 0")
            return present, {t: [c["name"] for c in inspector.get_columns(t)] for t in tables if t.lower() in present}
    except sa.exc.OperationalError as error:
        what = "cannot read the source" if error_number(error) == TABLE_ACCESS_DENIED else "cannot connect to MySQL"
        raise PreflightError(f"{what} at {config.masked()}: {explain(error)}") from None
    finally:
        engine.dispose()


def drift_of(engine: sa.Engine, table: str) -> tuple[list[str], list[str]]:
    """(unmapped, missing) columns of one source table now (schema.drift), through `engine`."""
    needed = {table} | {j.table for j in SOURCE_SPECS[table].joins}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        live = {t: [c["name"] for c in inspector.get_columns(t)] for t in needed if inspector.has_table(t)}
    return schema_drift(table, live)


def check_source_tables(config: MySQLConfig, tables: Iterable[str], allow_unmapped: bool = False) -> list[str]:
    """The database is reachable, has every table the run reads, and the columns the specs know.

    A live column neither mapped nor excluded stops the run (it would be lost silently),
    unless `allow_unmapped`, which turns it into a returned warning. A column the specs read
    that no longer exists always stops it.
    """
    tables = list(tables)
    needed = set(tables) | {j.table for t in tables for j in SOURCE_SPECS[t].joins}
    present, live = live_columns(config, needed)
    missing = [t for t in sorted(needed) if t.lower() not in present]
    if missing:
        raise PreflightError(
            f"database {config.database} at {config.masked()} has no table {', '.join(missing)}. "
            "Point --mysql-url at the AlgoItny database (or run `algoitny-etl seed` for sample data)."
        )
    unmapped, gone = [], []
    for table in tables:
        more_unmapped, more_gone = schema_drift(table, live)
        unmapped += more_unmapped
        gone += more_gone
    if gone:
        raise PreflightError(f"the source schema changed: column {', '.join(dict.fromkeys(gone))} no longer "
                             "exists, but the entity specs (schema/entities/) read it")
    if unmapped and not allow_unmapped:
        raise PreflightError(
            f"the source schema changed: column {', '.join(unmapped)} is neither mapped nor excluded in "
            "the entity specs (schema/entities/), so it would not be migrated. Map or exclude it, or pass "
            "--allow-unmapped-columns to migrate without it.")
    return [f"column {c} is not migrated (--allow-unmapped-columns)" for c in unmapped]
