"""plans: `plan` items from subscription_plans."""

from __future__ import annotations

from schema.codecs import BOOLEAN, INTEGER, TEXT
from schema.keys import META, id_in_pk, join_key
from schema.spec import ItemSpec, SourceSpec, attributes

ENTITY = "plans"
PLAN_PREFIX = "PLAN"
UNLIMITED = -1  # a plan's daily limit (max_hints_per_day, ...) that does not limit


def plan_pk(plan_id: int) -> str:
    return join_key(PLAN_PREFIX, int(plan_id))


def _plan_keys(row) -> dict:
    return {"PK": plan_pk(row["id"]), "SK": META}


PLAN = ItemSpec(
    tp="plan", source="subscription_plans", entity=ENTITY, key_builder=_plan_keys, identity_from_key=id_in_pk,
    key_shapes={"PK": "PLAN#<id>", "SK": "META"}, updated="updated_at",
    attributes=attributes(
        ("nm", "name", TEXT), ("dsc", "description", TEXT),
        ("mh", "max_hints_per_day", INTEGER), ("me", "max_executions_per_day", INTEGER),
        ("mp", "max_problems", INTEGER), ("cva", "can_view_all_problems", BOOLEAN),
        ("crp", "can_register_problems", BOOLEAN), ("act", "is_active", BOOLEAN),
    ),
)

ITEMS = (PLAN,)
SOURCES = (
    SourceSpec(
        table="subscription_plans", key="id", key_is_integer=True, items=("plan",),
        columns=("id", "name", "description", "max_hints_per_day", "max_executions_per_day",
                 "max_problems", "can_view_all_problems", "can_register_problems", "is_active",
                 "created_at", "updated_at"),
    ),
)
