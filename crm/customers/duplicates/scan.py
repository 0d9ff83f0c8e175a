"""Likely duplicate pairs across a whole table, by blocking rather than comparing all pairs.

Each blocking pass streams the live rows ordered by one match key (served by its index), so
rows sharing the key arrive together and memory holds one block at a time. Pairs inside a
block are scored; a block too large to compare in full (a very common name) is compared
only between near neighbours in id order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations, groupby
from typing import Any

from django.db.models import Q

from crm.customers.duplicates.records import CONTACT_COLUMNS, CUSTOMER_COLUMNS, ObjectType, record_of
from crm.customers.duplicates.scoring import score
from crm.customers.models import Contact, Customer

CHUNK = 2000
FULL_BLOCK = 200
NEIGHBOURS = 20
DEFAULT_MIN_SCORE = 50

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Pass:
    label: str
    keys: tuple[str, ...]
    present: Q


CUSTOMER_PASSES = (
    Pass("credit code", ("credit_code",), ~Q(credit_code="")),
    Pass("phone", ("phone",), ~Q(phone="")),
    Pass("email", ("email",), ~Q(email="")),
    Pass("company name", ("name_key",), ~Q(name_key="")),
)
CONTACT_PASSES = (
    Pass("mobile", ("mobile",), ~Q(mobile="")),
    Pass("phone", ("phone",), ~Q(phone="")),
    Pass("email", ("email",), ~Q(email="")),
    Pass("name + birthday", ("name_key", "birthday"), ~Q(name_key="") & Q(birthday__isnull=False)),
    Pass("name + customer", ("name_key", "customer_id"), ~Q(name_key="") & Q(customer_id__isnull=False)),
)


@dataclass(frozen=True)
class Pair:
    left_id: int
    left_external_id: str | None
    right_id: int
    right_external_id: str | None
    score: int
    reasons: list[str]


def passes_of(object_type: ObjectType) -> tuple[Pass, ...]:
    return CUSTOMER_PASSES if object_type == "customers" else CONTACT_PASSES


def _block_pairs(block: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    if len(block) <= FULL_BLOCK:
        yield from combinations(block, 2)
        return
    for index, row in enumerate(block):
        for other in block[index + 1 : index + 1 + NEIGHBOURS]:
            yield row, other


def scan_pairs(
    *, object_type: ObjectType, min_score: int = DEFAULT_MIN_SCORE, progress: Progress | None = None
) -> Iterator[Pair]:
    """Every likely duplicate pair of live records once, with its score and reasons."""
    model: type[Customer] | type[Contact] = Customer if object_type == "customers" else Contact
    columns = CUSTOMER_COLUMNS if object_type == "customers" else CONTACT_COLUMNS
    report = progress or (lambda label, count: None)
    reported: set[tuple[int, int]] = set()
    for blocking in passes_of(object_type):
        rows = (
            model.objects.filter(blocking.present)
            .order_by(*blocking.keys, "id")
            .values(*{*columns, *blocking.keys})
            .iterator(chunk_size=CHUNK)
        )
        seen = 0
        for _key, group in groupby(rows, key=lambda row: tuple(row[key] for key in blocking.keys)):
            block = list(group)
            seen += len(block)
            if seen >= CHUNK:
                report(blocking.label, seen)
                seen = 0
            for left, right in _block_pairs(block):
                ids = (left["id"], right["id"]) if left["id"] < right["id"] else (right["id"], left["id"])
                if ids in reported:
                    continue
                points, reasons = score(record_of(object_type, left), record_of(object_type, right))
                if points < min_score:
                    continue
                reported.add(ids)
                first, second = (left, right) if left["id"] == ids[0] else (right, left)
                yield Pair(ids[0], first["external_id"], ids[1], second["external_id"], points, reasons)
        report(blocking.label, seen)
