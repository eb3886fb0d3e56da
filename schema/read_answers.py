"""The application's answers in one canonical form, and the differences declared deliberate.

check-reads and the shadow-read wrapper hold two answers to one read side by side: the
control's (MySQL rows, as the Django query returns them) and the candidate's (rows the
repositories read back from items). Each row is mapped with its item type's own spec
(`ItemSpec.values_of`: the item without its keys, which the application never sees) and put
in the canonical form deep verify compares in (schema/canonical.py): numbers as Decimal,
maps by key, binary as bytes. So MySQL's 0/1 and a Boolean, a JSON float and its Decimal,
a naive and an aware UTC datetime meet, while any value the application would see differ
does not. Order is kept: a list is compared in order, which is the order the pattern
promises (a listing that promises none declares `scan_order`).

A `Deliberate` difference is one the move makes on purpose, declared on the pattern that
shows it (schema/access_patterns.py): it says why, and what the table answers instead.
`compare` calls an answer `deliberate` only when the declared differences explain all of
it; whatever is left is `different`, with the attribute paths that differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from schema import canonical
from schema.codecs import epoch_seconds
from schema.entities import ITEM_SPECS
from schema.entities.jobs import JOB_SPEC_BY_TYPE
from schema.entities.users import email_gsi1pk, google_id_gsi1pk
from schema.spec import ItemSpec, RowRejected
from schema.ttl import TtlRule

EQUAL, DELIBERATE, DIFFERENT = "equal", "deliberate", "different"

ONE = "one"  # a row, or None when there is none
LIST = "list"  # rows
PAGE = "page"  # (rows, next): `next` is truthy (a cursor, or True) when a next page exists
PROBLEM_WITH_TESTCASES = "problem_with_testcases"  # (problem row or None, test case rows)
RATE_LIMIT = "rate_limit"  # (allowed, today's count, when the count resets)
BY_JOB_TYPE = "by job_type"  # the item type follows the `job_type` parameter


@dataclass(frozen=True)
class Shape:
    """What an answer is made of: its kind and the item type of its rows."""

    kind: str
    item_type: str | None = None

    def spec(self, params: dict) -> ItemSpec:
        return JOB_SPEC_BY_TYPE[params["job_type"]] if self.item_type == BY_JOB_TYPE else ITEM_SPECS[self.item_type]


@dataclass(frozen=True)
class Deliberate:
    """A difference the move makes on purpose: `apply(control, candidate, params)` returns both
    canonical answers with it seen past (unchanged where it does not apply)."""

    name: str
    why: str
    apply: Callable[[object, object, dict], tuple[object, object]] = field(compare=False)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # EQUAL, DELIBERATE or DIFFERENT
    control: object  # both answers in canonical form, as compared
    candidate: object
    paths: tuple[str, ...] = ()  # where they differ once the declared differences are seen past
    deliberate: tuple[str, ...] = ()  # the declared differences that applied

    @property
    def matches(self) -> bool:
        return self.outcome != DIFFERENT


def canonical_row(spec: ItemSpec, row: dict | None) -> object:
    """A row as the item it maps to would read, without keys; a row the mapping rejects as
    {"unmappable": code}, which no row read back from an item can equal."""
    if row is None:
        return None
    try:
        return canonical.item_from_python(spec.values_of(row))
    except RowRejected as rejected:
        return {"unmappable": rejected.code}


def canonical_answer(shape: Shape, answer: object, params: dict) -> object:
    if shape.kind == RATE_LIMIT:
        allowed, count, resets_at = answer
        return {"allowed": bool(allowed), "count": canonical.from_python(int(count)),
                "resets_at": epoch_seconds(resets_at)}
    if shape.kind == PROBLEM_WITH_TESTCASES:
        problem, testcases = answer
        return {"problem": canonical_row(ITEM_SPECS["prob"], problem),
                "testcases": [canonical_row(ITEM_SPECS["tc"], row) for row in testcases]}
    spec = shape.spec(params)
    if shape.kind == ONE:
        return canonical_row(spec, answer)
    if shape.kind == LIST:
        return [canonical_row(spec, row) for row in answer]
    if shape.kind == PAGE:
        rows, following = answer
        return {"rows": [canonical_row(spec, row) for row in rows], "more": bool(following)}
    raise ValueError(f"unknown answer kind {shape.kind!r}")


def compare(shape: Shape, declared: tuple[Deliberate, ...], control: object, candidate: object,
            params: dict) -> Verdict:
    """The control's answer (MySQL) against the candidate's (the repositories), in canonical form.

    The declared differences always apply: they say what the table answers instead (a row
    past its TTL is not there, so a candidate that still returns one differs even though
    Django returns it too). `deliberate` when they explain every difference, `different`
    when something is left, with its paths."""
    left, right = canonical_answer(shape, control, params), canonical_answer(shape, candidate, params)
    seen_left, seen_right, applied = left, right, []
    for difference in declared:
        after = difference.apply(seen_left, seen_right, params)
        if after != (seen_left, seen_right):
            applied.append(difference.name)
            seen_left, seen_right = after
    paths = tuple(canonical.differing_paths(seen_left, seen_right))
    if paths:
        return Verdict(DIFFERENT, left, right, paths, tuple(applied))
    if canonical.differing_paths(left, right):
        return Verdict(DELIBERATE, left, right, (), tuple(applied))
    return Verdict(EQUAL, left, right)


# --- the declared differences ---

def _without_expired(control, candidate, params):
    """Rows past their TTL at `now` left out of the control's answer (a list of rows)."""
    now = int(epoch_seconds(params["now"]))
    return [row for row in control if not (isinstance(row, dict) and "ttl" in row
                                           and TtlRule.is_expired(row["ttl"], now))], candidate


EXPIRED_HIDDEN = Deliberate(
    "expired_hidden",
    "rows past their TTL are not in the table (the migration does not write them, DynamoDB's TTL deletes them "
    "and the repository hides those not deleted yet); the Django query still returns them",
    _without_expired)


def _matched_by_collation(short: str, param: str, lookup_key: Callable[[str], str]) -> Callable:
    def apply(control, candidate, params):
        stored = control.get("dat", {}).get(short) if isinstance(control, dict) else None
        if candidate is None and isinstance(stored, str) and lookup_key(stored) != lookup_key(params[param]):
            return None, candidate
        return control, candidate
    return apply


EMAIL_COLLATION = Deliberate(
    "collation_match",
    "MySQL matches `email__iexact` under utf8mb4_unicode_ci, where accented and unaccented letters are equal "
    "(josé = JOSE); the table looks the address up lower-cased, exactly",
    _matched_by_collation("em", "email", email_gsi1pk))

GOOGLE_ID_COLLATION = Deliberate(
    "collation_match",
    "MySQL compares `google_id` under utf8mb4_unicode_ci, ignoring letter case and trailing spaces; the table "
    "matches the id exactly (Google ids are digits)",
    _matched_by_collation("gid", "google_id", google_id_gsi1pk))


def _by_id(row) -> tuple:
    if isinstance(row, dict) and isinstance(row.get("dat", {}).get("id"), Decimal):
        return 0, row["dat"]["id"]
    return 1, Decimal(0)


def _as_sets(control, candidate, params):
    return sorted(control, key=_by_id), sorted(candidate, key=_by_id)


SCAN_ORDER = Deliberate(
    "scan_order",
    "a Scan returns items in no order (the listing promises none): the rows are compared as a set, by id",
    _as_sets)
