"""Likely duplicate pairs across a whole table, by blocking rather than comparing all pairs.

Each blocking pass streams the live rows ordered by one match key (served by its index), so
rows sharing the key arrive together and memory holds one block at a time. Pairs inside a
block are scored; a block too large to compare in full (a very common name) is compared
only between near neighbours in id order.

Company names are the large blocks: the stored key is the loose one (华信 for 北京华信科技 and
上海华信信息), so one key can hold thousands of companies. A shared loose key alone scores
below the reporting threshold, and so does a shared core key across two regions, so the name
pass compares only rows with the same core key and region (a row without a region against
all of its core key). Pairs that need another fact (a phone, an email) are found by the pass
over that fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations, groupby
from typing import Any

from django.db.models import Q

from crm.customers.duplicates.normalise import company_keys, company_region
from crm.customers.duplicates.scoring import SAME_COMPANY_LOOSE, score
from crm.customers.duplicates.sources import source_of

CHUNK = 2000
FULL_BLOCK = 200
NEIGHBOURS = 20
DEFAULT_MIN_SCORE = 50

Progress = Callable[[str, int], None]


Row = dict[str, Any]
Pairs = Iterator[tuple[Row, Row]]


@dataclass(frozen=True)
class Pass:
    label: str
    keys: tuple[str, ...]
    present: Q
    # Splits a block into the pairs worth scoring; None compares the whole block.
    split: Callable[[list[Row]], Pairs] | None = None


def _block_pairs(block: list[Row]) -> Pairs:
    if len(block) <= FULL_BLOCK:
        yield from combinations(block, 2)
        return
    for index, row in enumerate(block):
        for other in block[index + 1 : index + 1 + NEIGHBOURS]:
            yield row, other


def company_pairs(block: list[Row]) -> Pairs:
    """Pairs of one loose-key block that share the core key and do not differ in region."""
    groups: dict[str, dict[str, list[Row]]] = {}
    for row in block:
        core = company_keys(row["name"])[0]
        groups.setdefault(core, {}).setdefault(company_region(row["name"]), []).append(row)
    for regions in groups.values():
        unplaced = regions.pop("", [])
        yield from _block_pairs(unplaced)
        for rows in regions.values():
            yield from _block_pairs(rows)
            for row in unplaced:
                for other in rows[:FULL_BLOCK]:
                    yield row, other


CUSTOMER_PASSES = (
    Pass("credit code", ("credit_code",), ~Q(credit_code="")),
    Pass("phone", ("phone",), ~Q(phone="")),
    Pass("email", ("email",), ~Q(email="")),
    Pass("company name", ("name_key",), ~Q(name_key=""), split=company_pairs),
)
CONTACT_PASSES = (
    Pass("mobile", ("mobile",), ~Q(mobile="")),
    Pass("phone", ("phone",), ~Q(phone="")),
    Pass("email", ("email",), ~Q(email="")),
    Pass("name + birthday", ("name_key", "birthday"), ~Q(name_key="") & Q(birthday__isnull=False)),
    Pass("name + customer", ("name_key", "customer_id"), ~Q(name_key="") & Q(customer_id__isnull=False)),
)


LEAD_PASSES = (
    Pass("mobile", ("mobile",), ~Q(mobile="")),
    Pass("phone", ("phone",), ~Q(phone="")),
    Pass("email", ("email",), ~Q(email="")),
    Pass("company name", ("name_key",), ~Q(name_key="")),
)


@dataclass(frozen=True)
class Pair:
    left_id: int
    left_external_id: str | None
    right_id: int
    right_external_id: str | None
    score: int
    reasons: list[str]
    left_name: str = ""
    right_name: str = ""


def passes_of(object_type: str) -> tuple[Pass, ...]:
    return {"customers": CUSTOMER_PASSES, "leads": LEAD_PASSES}.get(object_type, CONTACT_PASSES)


def scan_pairs(
    *,
    object_type: str,
    min_score: int = DEFAULT_MIN_SCORE,
    progress: Progress | None = None,
    where: Q | None = None,
    skip: set[tuple[int, int]] | None = None,
) -> Iterator[Pair]:
    """Every likely duplicate pair of live records once, with its score and reasons.

    `where` narrows the rows (a viewer's visibility); `skip` holds (smaller id, larger id)
    pairs not to report (dismissed as "not a duplicate").
    """
    source = source_of(object_type)
    model, columns, record_of = source.model, source.columns, source.record
    report = progress or (lambda label, count: None)
    reported: set[tuple[int, int]] = set(skip or ())
    for blocking in passes_of(object_type):
        # Below the loose-name weight a shared loose key alone may be reported: compare whole blocks.
        split = blocking.split if blocking.split is not None and min_score > SAME_COMPANY_LOOSE else _block_pairs
        rows = (
            model._default_manager.filter(blocking.present, *([where] if where is not None else []))
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
            for left, right in split(block):
                ids = (left["id"], right["id"]) if left["id"] < right["id"] else (right["id"], left["id"])
                if ids in reported:
                    continue
                points, reasons = score(record_of(left), record_of(right), min_score)
                if points < min_score:
                    continue
                reported.add(ids)
                first, second = (left, right) if left["id"] == ids[0] else (right, left)
                yield Pair(
                    ids[0],
                    first["external_id"],
                    ids[1],
                    second["external_id"],
                    points,
                    reasons,
                    first["name"],
                    second["name"],
                )
        report(blocking.label, seen)
