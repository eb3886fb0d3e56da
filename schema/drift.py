"""Schema drift: the live source columns against what the specs map or exclude."""

from __future__ import annotations

from schema.entities import SOURCE_SPECS


def schema_drift(table: str, live_columns: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(unmapped, missing) for one source table against the live schema.

    `live_columns` maps table -> its column names now (the table and the tables it joins).
    Unmapped: live columns the specs neither map nor exclude. Missing: columns the specs
    read that the live table no longer has.
    """
    source = SOURCE_SPECS[table]
    live = {c.lower() for c in live_columns.get(table, [])}
    known = {c.lower() for c in source.columns} | {c.lower() for c in source.excluded}
    unmapped = [f"{table}.{c}" for c in live_columns.get(table, []) if c.lower() not in known]
    missing = [f"{table}.{c}" for c in source.columns if c.lower() not in live]
    for join in source.joins:
        joined = {c.lower() for c in live_columns.get(join.table, [])}
        for column in (join.remote_column, *join.columns.values()):
            if column.lower() not in joined:
                missing.append(f"{join.table}.{column}")
    return unmapped, missing
