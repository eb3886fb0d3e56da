"""SubscriptionPlanRepository: the plans and their daily limits (-1 = unlimited)."""

from __future__ import annotations

from repositories.base import NotFound, check_fields, page, put_new, replace_existing, to_row, type_is, utc_now
from schema.entities.plans import PLAN, plan_pk
from schema.keys import META

FIELDS = {"id", "name", "description", "max_hints_per_day", "max_executions_per_day", "max_problems",
          "can_view_all_problems", "can_register_problems", "is_active", "created_at", "updated_at"}


class SubscriptionPlanRepository:
    def __init__(self, table):
        self.table = table

    def get_plan(self, plan_id: int) -> dict | None:
        item = self.table.get_item(Key={"PK": plan_pk(plan_id), "SK": META}).get("Item")
        return to_row(PLAN, item)

    def list_plans(self, limit: int = 100, cursor: str | None = None) -> tuple[list[dict], str | None]:
        items, next_cursor = page(self.table, limit, cursor, "scan", FilterExpression=type_is(PLAN))
        return sorted((to_row(PLAN, i) for i in items), key=lambda plan: plan["id"]), next_cursor

    def create_plan(self, plan: dict) -> dict:
        check_fields(plan, FIELDS, "plan")
        now = utc_now()
        row = {"description": "", "max_problems": -1, "can_view_all_problems": False, "can_register_problems": False,
               "is_active": True, "created_at": now, "updated_at": now, **plan}
        put_new(self.table, PLAN.to_item(row), f"plan {row['id']}")
        return row

    def update_plan(self, plan_id: int, changes: dict) -> dict:
        forbidden = set(changes) - (FIELDS - {"id", "created_at"})
        if forbidden:
            raise ValueError(f"cannot change {', '.join(sorted(forbidden))}")
        current = self.get_plan(plan_id)
        if current is None:
            raise NotFound(f"no plan {plan_id}")
        row = {**current, **changes, "updated_at": utc_now()}
        replace_existing(self.table, PLAN.to_item(row), f"plan {plan_id}")
        return row
