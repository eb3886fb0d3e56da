"""Every MySQL type a user may have, not only AlgoItny's, through the real driver and DynamoDB Local.

A table with one column per type holds the edge values (UNSIGNED maxima, DECIMAL(65,30),
FLOAT noise, microseconds, zero dates, negative TIME, 4-byte UTF-8 and NUL, empty binary,
BIT, ENUM, the empty SET, JSON of every shape). Rows are read with the migration's range
reader, encoded with the codec information_schema's type calls for, written with the
migration's BatchWriter, read back with GetItem and decoded: each value must equal MySQL's.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from boto3.dynamodb.types import TypeDeserializer

from connectors.dynamodb import clients
from connectors.dynamodb.batch_writer import BatchSender, BatchWriter
from connectors.dynamodb.transport import SignedHttpClient
from connectors.dynamodb.wire import encode_item
from connectors.mysql.key_ranges import split_key_ranges
from connectors.mysql.queries import stream_range
from pipelines.init_table import init_table
from schema import codecs
from schema.spec import SourceSpec
from tests.support.codec_checks import codec_for_column, comparable

pytestmark = pytest.mark.integration

COLUMNS = """
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  b BOOL NULL, ti TINYINT NULL, tiu TINYINT UNSIGNED NULL, si SMALLINT NULL, mi MEDIUMINT NULL,
  i INT NULL, bi BIGINT NULL, biu BIGINT UNSIGNED NULL,
  d DECIMAL(65,30) NULL, d2 DECIMAL(10,2) NULL, f FLOAT NULL, db DOUBLE NULL,
  dt DATETIME(6) NULL, ts TIMESTAMP(6) NULL, da DATE NULL, tm TIME(6) NULL, y YEAR NULL,
  c CHAR(10) NULL, vc VARCHAR(200) NULL, tx LONGTEXT NULL,
  bl LONGBLOB NULL, bn BINARY(4) NULL, vb VARBINARY(20) NULL, bt BIT(12) NULL,
  e ENUM('small','large') NULL, st SET('a','b','c') NULL, j JSON NULL
"""

ROWS = [
    dict(id=1, b=1, ti=-128, tiu=255, si=-32768, mi=8388607, i=-2147483648, bi=-9223372036854775808,
         biu=18446744073709551615, d="12345678901234567890123456789012345.123456789012345678901234567891",
         d2="5.00", f=0.1, db=0.30000000000000004, dt="1000-01-01 00:00:00.000001", ts="2038-01-19 03:14:07.999999",
         da="9999-12-31", tm="-838:59:59.000000", y=2155, c="", vc="👩‍💻\x00שלום مرحبا", tx="", bl=b"",
         bn=b"\x00\x01\x02\xff", vb=b"\x00", bt=0b101010101010, e="large", st="", j='{"n": 1e-7, "deep": [[[{}]]]}'),
    dict(id=2, b=0, ti=127, tiu=0, si=32767, mi=-8388608, i=2147483647, bi=9223372036854775807, biu=0,
         d="-0.000000000000000000000000000001", d2="-99999999.99", f=-3.40282e38, db=1e300,
         dt="9999-12-31 23:59:59.999999", ts="1970-01-01 00:00:01.000000", da="0000-00-00", tm="838:59:59.999999",
         y=1901, c="ten chars.", vc="", tx="x" * 70_000, bl=bytes(range(256)) * 100, bn=b"\x00\x00\x00\x00",
         vb=b"", bt=0, e="small", st="a,c", j='"bare string"'),
    dict(id=3, dt="0000-00-00 00:00:00", j="[1, 123456789012345678901234567890123456789012, null, true]"),
    dict(id=4),  # every column NULL
]


@pytest.fixture(scope="module")
def zoo(new_database):
    config = new_database("algoitny_types")
    engine = sa.create_engine(config.url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE type_zoo ({COLUMNS}) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
        conn.exec_driver_sql("SET SESSION sql_mode = '', time_zone = '+00:00'")
        for row in ROWS:
            conn.execute(sa.text(f"INSERT INTO type_zoo ({', '.join(row)}) VALUES ({', '.join(f':{c}' for c in row)})"),
                         row)
    with engine.connect() as conn:
        types = conn.execute(sa.text(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'type_zoo' ORDER BY ORDINAL_POSITION")).all()
    engine.dispose()
    return config, {name: codec_for_column(data_type, column_type) for name, data_type, column_type in types}


def test_every_type_round_trips_through_mysql_and_dynamodb(zoo, new_table_config):
    config, codec_of = zoo
    source = SourceSpec(table="type_zoo", key="id", key_is_integer=True, columns=tuple(codec_of), items=())
    engine = sa.create_engine(config.url)
    with engine.connect() as conn:
        ranges = split_key_ranges(conn, source, 2)
    rows = [row for key_range in ranges for row in stream_range(engine, source, key_range)]
    engine.dispose()
    assert sorted(r["id"] for r in rows) == [1, 2, 3, 4]

    target = new_table_config("types")
    assert init_table(target, out=io.StringIO()) == 0
    client = clients.client(target)
    writer = BatchWriter(BatchSender(SignedHttpClient(target), target.table))
    for row in rows:
        values = {name: codec_of[name].encode(value) for name, value in row.items() if value is not None}
        writer.put(encode_item({"PK": f"ZOO#{row['id']}", "SK": "META", "tp": "zoo", "dat": values}))
    writer.flush()
    assert writer.take_failures() == []

    deserializer = TypeDeserializer()
    for row in rows:
        stored = client.get_item(TableName=target.table, Key={"PK": {"S": f"ZOO#{row['id']}"}, "SK": {"S": "META"}},
                                 ConsistentRead=True)["Item"]
        dat = deserializer.deserialize(stored["dat"])
        for name, value in row.items():
            if value is None:
                assert name not in dat, name  # SQL NULL: no attribute
                continue
            assert codec_of[name].decode(dat[name]) == comparable(codec_of[name], value), (row["id"], name, value)

    first = next(r for r in rows if r["id"] == 1)
    assert codec_of["b"] is codecs.BOOLEAN and codec_of["ti"] is codecs.INTEGER
    assert isinstance(first["d"], Decimal) and codecs.DECIMAL.fallback(codecs.DECIMAL.encode(first["d"]))
    assert codecs.FLOAT.encode(first["f"]) == Decimal("0.1")
