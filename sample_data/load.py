"""Create the AlgoItny schema in a MySQL database and fill it with the sample data.

Safe by default: it refuses to touch AlgoItny tables it did not create itself (a marker
table records that it did), so pointing it at a real database by mistake loses nothing.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import sys

import sqlalchemy as sa

from connectors.mysql import engines
from connectors.mysql.config import MySQLConfig
from sample_data.generate import SampleData, SeedCounts
from schema import mysql_ddl

MARKER_TABLE = "algoitny_etl_seed"
INSERT_CHUNK = 2000


class SeedRefused(RuntimeError):
    pass


def ensure_database(config: MySQLConfig) -> None:
    engine = engines.server_engine(config)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"CREATE DATABASE IF NOT EXISTS `{config.database}` "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        engine.dispose()


def prepare_schema(conn: sa.Connection, replace: bool) -> None:
    present = {name.lower() for name in sa.inspect(conn).get_table_names()}
    ours = [t for t in mysql_ddl.CREATE_TABLES if t in present]
    if ours:
        if MARKER_TABLE not in present:
            raise SeedRefused(
                f"the database already has AlgoItny tables ({', '.join(ours)}) that seed did not create; "
                "refusing to touch them. Seed into an empty database (e.g. another database name in --mysql-url).")
        if not replace:
            raise SeedRefused("the database already holds sample data; pass --replace to drop and re-seed it")
        for table in mysql_ddl.drop_order():
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS `{table}`")
    for statement in mysql_ddl.create_statements():
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS `{MARKER_TABLE}` "
                         "(seeded_at DATETIME(6) NOT NULL, scale INT NOT NULL, seed INT NOT NULL)")
    conn.exec_driver_sql(f"DELETE FROM `{MARKER_TABLE}`")


def insert_rows(conn: sa.Connection, table: str, rows) -> int:
    """Insert an iterator of row dicts in chunks (multi-row INSERTs); returns the count."""
    total = 0
    iterator = iter(rows)
    while True:
        chunk = list(itertools.islice(iterator, INSERT_CHUNK))
        if not chunk:
            return total
        columns = list(chunk[0])
        statement = sa.text(
            f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in columns)}) "
            f"VALUES ({', '.join(f':{c}' for c in columns)})")
        conn.execute(statement, chunk)
        total += len(chunk)


def seed(config: MySQLConfig, counts: SeedCounts, replace: bool = False, seed_value: int = 42,
         now: _dt.datetime | None = None, out=None, scale: int = 0) -> dict[str, int]:
    out = out or sys.stdout
    ensure_database(config)
    data = SampleData(counts, now or _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None), seed_value)
    engine = engines.engine(config)
    inserted = {}
    try:
        with engine.begin() as conn:
            prepare_schema(conn, replace)
        for table, rows in data.tables().items():
            with engine.begin() as conn:
                inserted[table] = insert_rows(conn, table, rows)
            print(f"  {table:<26} {inserted[table]:>9,} rows", file=out)
        with engine.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO `{MARKER_TABLE}` VALUES (:at, :scale, :seed)"),
                         {"at": data.now, "scale": scale, "seed": seed_value})
    finally:
        engine.dispose()
    return inserted
