"""The data model as a Markdown document, generated from the specs themselves.

`algoitny-etl describe` prints it; docs/data-model.md is its committed output, and a test
fails when the two disagree, so the document cannot drift from what the code does.
"""

from __future__ import annotations

import inspect

from connectors.mysql import read_patterns
from schema import keys
from schema.access_patterns import ACCESS_PATTERNS
from schema.app_items import APP_ITEM_TYPES
from schema.entities import ENTITY_MODULES, SOURCE_SPECS
from schema.spec import ExtraItemType, ItemSpec, SourceSpec
from schema.state_items import STATE_ITEM_TYPES
from schema.table import TableSpec

KEY_ORDER = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _code(text: str) -> str:
    return f"`{text}`"


def _doc(module) -> str:
    return inspect.cleandoc(module.__doc__ or "").split("\n\n", 1)[-1].replace("\n", " ") \
        if "\n\n" in (module.__doc__ or "") else ""


def _title(module) -> str:
    return inspect.cleandoc(module.__doc__ or "").split("\n\n", 1)[0].replace("\n", " ")


def table_section(spec: TableSpec) -> list[str]:
    lines = ["## The table", "",
             f"One table (default name `{spec.name}`, `--table` / `DYNAMODB_TABLE`), billing "
             f"{spec.billing_mode}, TTL on `{spec.ttl_attribute}`, and a {spec.stream_view_type} stream where the "
             "endpoint supports one (on AWS; not by default on DynamoDB Local, see the README).", ""]
    rows = [[_code(spec.partition_key), "S", "table partition key", ""],
            [_code(spec.sort_key), "S", "table sort key", ""]]
    for index in spec.indexes:
        rows.append([_code(index.partition_key), "S", f"{index.name} partition key", f"projection {index.projection}"])
        rows.append([_code(index.sort_key), "S", f"{index.name} sort key", ""])
    lines += _table(["attribute", "type", "role", "index"], rows)
    lines += ["", "Every migrated item also has `tp` (its item type), `dat` (a map of the row's values under short "
              "names; `dat.id` is the source row's primary key), `crt` (created, epoch seconds as a Number with "
              "the microseconds kept) and, where the row has an update time, `upd`. Item types with a TTL have "
              "`ttl`: whole epoch seconds, floor(crt) + the TTL's days. A NULL column is left out of `dat`.", "",
              f"Keys are `{keys.SEPARATOR}`-joined parts; a `{keys.SEPARATOR}` is allowed only in a key's last part, "
              f"so every key parses back. `<id:{keys.ID_DIGITS}>` is the id left-padded with zeros to "
              f"{keys.ID_DIGITS} digits (ids of 10^{keys.ID_DIGITS} or more are dead letters); `<ts>` is UTC time as "
              "`YYYY-MM-DDTHH:MM:SS.ffffffZ`. Both sort as text in numeric and time order.", ""]
    return lines


def _source_lines(source: SourceSpec) -> list[str]:
    line = f"Source: `{source.table}` (primary key `{source.key}`), columns " + \
        ", ".join(_code(c) for c in source.columns) + "."
    for join in source.joins:
        line += (f" LEFT JOIN `{join.table}` on `{join.table}.{join.remote_column}` = "
                 f"`{source.table}.{join.local_column}` for " +
                 ", ".join(f"`{remote}` (as `{alias}`)" for alias, remote in join.columns.items()) + ".")
    for column, reason in source.excluded.items():
        line += f" Not migrated: `{column}` ({reason})."
    return [line, ""]


def _item_lines(spec: ItemSpec) -> list[str]:
    lines = [f"#### `{spec.tp}`", ""]
    lines += _table(["key", "shape"], [[k, _code(spec.key_shapes[k])] for k in KEY_ORDER if k in spec.key_shapes])
    lines.append("")
    rows = [["`dat.id`", _code(spec.id_column), "as the row has it"]]
    rows += [[f"`dat.{a.short}`", _code(a.column), a.codec.stored_as] for a in spec.attributes]
    rows.append(["`crt`", _code(spec.created), "Number (epoch seconds)"])
    if spec.updated:
        rows.append(["`upd`", _code(spec.updated), "Number (epoch seconds)"])
    lines += _table(["attribute", "column", "stored as"], rows)
    notes = []
    if spec.key_columns:
        notes.append("carried by the keys: " + ", ".join(_code(c) for c in spec.key_columns))
    if spec.required_columns:
        notes.append("a row without " + ", ".join(_code(c) for c in spec.required_columns) + " is a dead letter")
    if spec.only_when_present:
        notes.append(f"only for rows whose `{spec.only_when_present}` is not NULL")
    notes.append(f"TTL: crt + {spec.ttl.days} days; rows already past it are not written" if spec.ttl else "no TTL")
    text = "; ".join(notes)
    lines += ["", text[0].upper() + text[1:] + ".", ""]
    return lines


def entities_section() -> list[str]:
    lines = ["## Migrated item types", "",
             "One module per entity in `schema/entities/` holds its item types whole; `--entity` takes these names.",
             ""]
    for module in ENTITY_MODULES:
        lines += [f"### {module.ENTITY}", "", _title(module), ""]
        if _doc(module):
            lines += [_doc(module), ""]
        for source in module.SOURCES:
            lines += _source_lines(source)
            for spec in (s for s in module.ITEMS if s.source == source.table):
                lines += _item_lines(spec)
    return lines


def _extra_lines(title: str, intro: str, types: tuple[ExtraItemType, ...]) -> list[str]:
    rows = [[_code(t.tp), "; ".join(f"{k} `{v}`" for k, v in t.key_shapes.items()),
             "; ".join(f"`{k}`: {v}" for k, v in t.attributes.items()), t.written_by, t.ttl or "none"] for t in types]
    return [f"## {title}", "", intro, ""] + _table(["tp", "keys", "attributes", "written by", "TTL"], rows) + [""]


def access_patterns_section() -> list[str]:
    rows = [[str(n), f"{p.name} (`{p.key}`)", p.index, _code(p.request), ", ".join(_code(t) for t in p.item_types),
             p.repository_call] for n, p in enumerate(ACCESS_PATTERNS, 1)]
    lines = ["## Access patterns", ""] + _table(["#", "pattern", "index", "request", "item types", "repository call"],
                                               rows) + [""]
    lines += ["### What each replaces in the Django application", "",
              "Each pattern's read as the application makes it today, its MySQL form (SQLAlchemy Core in "
              "`connectors/mysql/read_patterns.py`, with the ORM's semantics; `t.*` stands for the columns the "
              "table's spec reads) and the repository call that replaces it. `algoitny-etl check-reads` runs both "
              "on a sample of keys and compares the answers; the differences the move makes on purpose are declared "
              "on the pattern (`schema/access_patterns.py`) and listed apart.", ""]
    for n, p in enumerate(ACCESS_PATTERNS, 1):
        lines += [f"#### {n}. {p.name} (`{p.key}`)", "", f"- Django today: `{p.django}`",
                  f"- Repository call: `{p.repository_call}`",
                  f"- Order: {p.order or 'none promised'}" + (f"; {p.page_size} to a page" if p.page_size else "")]
        if p.guide_ms:
            lines.append(f"- The original guide's latency on AWS: {p.guide_ms} ms")
        lines += [f"- Declared difference `{d.name}`: {d.why}" for d in p.deliberate]
        lines += ["", "```sql"] + [_columns_as_star(statement) for statement in read_patterns.sql(p.key)] + ["```", ""]
    return lines


def _columns_as_star(statement: str) -> str:
    """`SELECT t.a, t.b, ... FROM t` -> `SELECT t.* FROM t` when the list is a table's spec columns."""
    for table, source in SOURCE_SPECS.items():
        statement = statement.replace(", ".join(f"{table}.{column}" for column in source.columns), f"{table}.*")
    return statement


def markdown() -> str:
    lines = ["# The data model", "",
             "<!-- Generated by `algoitny-etl describe` from schema/; do not edit by hand (`make docs`). -->", "",
             f"AlgoItny's {len(SOURCE_SPECS)} MySQL tables become one DynamoDB table with "
             f"{sum(len(m.ITEMS) for m in ENTITY_MODULES)} item types. Item types, keys and attributes below are "
             "read from the same specs the migration, verify, sync and the repositories use.", ""]
    lines += table_section(TableSpec())
    lines += entities_section()
    lines += _extra_lines("Items the application writes", "Written by `repositories/`, never migrated; verify and "
                          "repair leave them alone.", APP_ITEM_TYPES)
    lines += _extra_lines("Items the tool keeps for itself", "The tool's own state, kept in the target table so a "
                          "scheduled or distributed run needs no other store; verify and repair leave them alone.",
                          STATE_ITEM_TYPES)
    lines += access_patterns_section()
    return "\n".join(lines).rstrip() + "\n"
