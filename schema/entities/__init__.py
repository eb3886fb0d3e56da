"""The catalogue: AlgoItny's 11 item types from 10 tables, one module per entity.

Each module holds its item types whole: key builders and parsers, key shapes, and the
ItemSpecs and SourceSpecs (schema/spec.py) the migration, verify, sync and the
repositories all use. Adding an entity means adding one module here and naming it below.
`--entity` names on the command line are the modules' ENTITY names.
"""

from __future__ import annotations

from schema.entities import history, jobs, plans, problems, tasks, usage, users
from schema.spec import ItemSpec, SourceSpec

ENTITY_MODULES = (plans, users, problems, history, usage, jobs, tasks)

ITEM_SPECS: dict[str, ItemSpec] = {spec.tp: spec for module in ENTITY_MODULES for spec in module.ITEMS}
SOURCE_SPECS: dict[str, SourceSpec] = {source.table: source for module in ENTITY_MODULES for source in module.SOURCES}
# The `--entity` names of the CLI and the original migration guide -> source tables.
ENTITY_GROUPS: dict[str, tuple[str, ...]] = {
    module.ENTITY: tuple(source.table for source in module.SOURCES) for module in ENTITY_MODULES
}


def sources_for(entities: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Source tables for a comma-separated entity list ('all' = every entity), in a stable order."""
    names = entities.split(",") if isinstance(entities, str) else list(entities)
    names = [name.strip() for name in names if name.strip()]
    if not names:
        raise ValueError("no entity given")
    if "all" in names:
        names = list(ENTITY_GROUPS)
    unknown = [name for name in names if name not in ENTITY_GROUPS]
    if unknown:
        raise ValueError(f"unknown entity {', '.join(unknown)}; choose from all, {', '.join(ENTITY_GROUPS)}")
    tables: list[str] = []
    for name in ENTITY_GROUPS:
        if name in names:
            tables.extend(ENTITY_GROUPS[name])
    return tuple(tables)


def item_types_for(tables: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(tp for table in tables for tp in SOURCE_SPECS[table].items)


def entity_of_item_type(tp: str) -> str:
    return ITEM_SPECS[tp].entity


def tables_read_with(tables: tuple[str, ...]) -> frozenset[str]:
    """`tables` and the tables their mapping joins: whose changes a window of the binary log reads."""
    return frozenset(tables) | {join.table for t in tables for join in SOURCE_SPECS[t].joins}
