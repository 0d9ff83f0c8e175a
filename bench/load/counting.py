"""The count check: after the load, every write a client saw succeed is in the database exactly once,
and nothing is there that no client wrote or that the server refused.

Each write falls in one of three groups by what its client saw:

- acknowledged (`ok`): the answer showed the write. Its row must exist exactly once, attached to
  what the client wrote it on (the customer, the contract and instalment, the deal and stages).
- rejected (`conflict`, `refused`): the server answered that it did not write. No row may exist.
- indeterminate (`failed`, `unknown`, or still in flight when the run stopped): the client cannot
  know. At most one row may exist; how many did is reported.

A row carrying this run's marker that no client sent is a phantom, and any row found twice is a
duplicate; both fail the check. Deal moves store no free text, so they are counted per deal instead:
the stage-history rows added since the start, and the version's increase, must equal the acknowledged
moves plus some of the indeterminate ones, with the same from → to stages. Payments are also checked
as a ledger: each contract's collected total (the sum over its instalments, and the contract's own
running total) grew by exactly the amounts of this run's payments on it, and each payment's
allocations add up to its amount.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import Max, Sum

from crm.activities.models import Activity
from crm.contracts.models import Contract
from crm.deals.models import Deal, StageChange
from crm.payments.models import Instalment, Payment, PaymentAllocation

ACKNOWLEDGED = {"ok"}
REJECTED = {"conflict", "refused"}
SAMPLE = 20  # ids listed per problem in the report


@dataclass
class Baseline:
    """The database just before the load starts."""

    activity_id: int
    payment_id: int
    stage_change_id: int
    deal_versions: dict[int, int]
    collected: dict[int, Decimal]  # contract id → sum of its instalments' collected amounts
    contract_collected: dict[int, Decimal]  # contract id → the contract's own running total


def take_baseline() -> Baseline:
    collected = Instalment.objects.values("contract_id").annotate(total=Sum("collected"))
    return Baseline(
        activity_id=Activity.all_objects.aggregate(top=Max("id"))["top"] or 0,
        payment_id=Payment.objects.aggregate(top=Max("id"))["top"] or 0,
        stage_change_id=StageChange.objects.aggregate(top=Max("id"))["top"] or 0,
        deal_versions=dict(Deal.all_objects.values_list("id", "version")),
        collected={row["contract_id"]: row["total"] or Decimal(0) for row in collected},
        contract_collected=dict(Contract.all_objects.values_list("id", "collected")),
    )


@dataclass
class Attempt:
    """One write as its client logged it: what was sent and, if it came back, the outcome."""

    id: str
    kind: str
    sent: dict[str, Any]
    outcome: str | None = None  # None: no answer before the run stopped
    done: dict[str, Any] = field(default_factory=dict)

    @property
    def group(self) -> str:
        if self.outcome in ACKNOWLEDGED:
            return "acknowledged"
        if self.outcome in REJECTED:
            return "rejected"
        return "indeterminate"


def read_attempts(folder: Path) -> tuple[dict[str, Attempt], list[str]]:
    """Every write logged by the locust processes; also the ids logged as sent more than once."""
    attempts: dict[str, Attempt] = {}
    reused: list[str] = []
    for path in sorted(folder.glob("writes-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            if entry["event"] == "sent":
                if entry["id"] in attempts:
                    reused.append(entry["id"])
                attempts[entry["id"]] = Attempt(id=entry["id"], kind=entry["kind"], sent=entry)
            elif entry["event"] == "done" and entry["id"] in attempts:
                attempts[entry["id"]].outcome = entry["outcome"]
                attempts[entry["id"]].done = entry
    return attempts, reused


@dataclass
class KindCheck:
    kind: str
    sent: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged, no row
    duplicated: list[str] = field(default_factory=list)  # more than one row
    phantom: list[str] = field(default_factory=list)  # a row for a rejected write, or one nobody sent
    misplaced: list[str] = field(default_factory=list)  # a row, but not where the client wrote it
    indeterminate_written: int = 0
    indeterminate_not_written: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not (self.lost or self.duplicated or self.phantom or self.misplaced or self.notes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "sent": self.sent,
            "outcomes": self.outcomes,
            "rows": self.rows,
            "lost": len(self.lost),
            "duplicated": len(self.duplicated),
            "phantom": len(self.phantom),
            "misplaced": len(self.misplaced),
            "indeterminate_written": self.indeterminate_written,
            "indeterminate_not_written": self.indeterminate_not_written,
            "problems": {
                name: ids[:SAMPLE]
                for name, ids in (
                    ("lost", self.lost),
                    ("duplicated", self.duplicated),
                    ("phantom", self.phantom),
                    ("misplaced", self.misplaced),
                )
                if ids
            },
            "notes": self.notes,
            "passed": self.passed,
        }


def _start(kind: str, attempts: dict[str, Attempt]) -> tuple[KindCheck, list[Attempt]]:
    mine = [attempt for attempt in attempts.values() if attempt.kind == kind]
    check = KindCheck(kind=kind, sent=len(mine))
    check.outcomes = dict(Counter(attempt.outcome or "in flight" for attempt in mine))
    return check, mine


def _compare_markers(check: KindCheck, mine: list[Attempt], rows: dict[str, list[dict[str, Any]]]) -> None:
    """The marker rules shared by follow-ups and payments (see the module docstring)."""
    by_id = {attempt.id: attempt for attempt in mine}
    check.rows = sum(len(found) for found in rows.values())
    for marker, found in rows.items():
        if len(found) > 1:
            check.duplicated.append(marker)
        attempt = by_id.get(marker)
        if attempt is None or attempt.group == "rejected":
            check.phantom.append(marker)
    for attempt in mine:
        found = rows.get(attempt.id, [])
        if attempt.group == "acknowledged" and not found:
            check.lost.append(attempt.id)
        elif attempt.group == "indeterminate":
            if found:
                check.indeterminate_written += 1
            else:
                check.indeterminate_not_written += 1


def check_follow_ups(run_id: str, attempts: dict[str, Attempt], baseline: Baseline) -> KindCheck:
    check, mine = _start("follow_up", attempts)
    pattern = re.compile(rf"\[(lt{re.escape(run_id)}-\d+-\d+)\]")
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    found = Activity.all_objects.filter(pk__gt=baseline.activity_id, content__contains=f"[lt{run_id}-")
    for pk, customer_id, content in found.values_list("id", "customer_id", "content"):
        for marker in pattern.findall(content):
            rows[marker].append({"id": pk, "customer": customer_id})
    _compare_markers(check, mine, rows)
    by_id = {attempt.id: attempt for attempt in mine}
    for marker, found_rows in rows.items():
        attempt = by_id.get(marker)
        if attempt is not None and any(row["customer"] != attempt.sent["customer"] for row in found_rows):
            check.misplaced.append(marker)
    return check


def check_payments(run_id: str, attempts: dict[str, Attempt], baseline: Baseline) -> KindCheck:
    check, mine = _start("payment", attempts)
    pattern = re.compile(rf"lt{re.escape(run_id)}-\d+-\d+")
    payments = Payment.objects.filter(pk__gt=baseline.payment_id, reference__contains=f"lt{run_id}-")
    allocations: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for payment_id, instalment_id, amount in PaymentAllocation.objects.filter(payment__in=payments).values_list(
        "payment_id", "instalment_id", "amount"
    ):
        allocations[payment_id].append((instalment_id, amount))
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    written: dict[int, Decimal] = defaultdict(Decimal)
    for pk, contract_id, amount, reference in payments.values_list("id", "contract_id", "amount", "reference"):
        found = pattern.search(reference)
        if found is None:
            continue
        rows[found.group(0)].append({"id": pk, "contract": contract_id, "amount": amount, "parts": allocations[pk]})
        written[contract_id] += amount
    _compare_markers(check, mine, rows)
    by_id = {attempt.id: attempt for attempt in mine}
    for marker, found_rows in rows.items():
        attempt = by_id.get(marker)
        for row in found_rows:
            expected_parts = (
                [(attempt.sent["instalment"], Decimal(attempt.sent["amount"]))] if attempt is not None else None
            )
            if attempt is not None and (
                row["contract"] != attempt.sent["contract"]
                or row["amount"] != Decimal(attempt.sent["amount"])
                or sorted(row["parts"]) != expected_parts
            ):
                check.misplaced.append(marker)
    # The ledger: collected totals moved by exactly this run's payments, contract by contract.
    now = dict(
        Instalment.objects.values("contract_id").annotate(total=Sum("collected")).values_list("contract_id", "total")
    )
    for contract_id in sorted(set(now) | set(baseline.collected)):
        grew = (now.get(contract_id) or Decimal(0)) - baseline.collected.get(contract_id, Decimal(0))
        if grew != written.get(contract_id, Decimal(0)):
            check.notes.append(
                f"contract {contract_id}: collected grew by {grew}, this run's payments on it add up to "
                f"{written.get(contract_id, Decimal(0))}"
            )
    # And the contracts' own running totals, kept by the payment service under the contract's lock.
    for contract_id, total in Contract.all_objects.values_list("id", "collected"):
        grew = total - baseline.contract_collected.get(contract_id, Decimal(0))
        if grew != written.get(contract_id, Decimal(0)):
            check.notes.append(
                f"contract {contract_id}: its collected total grew by {grew}, this run's payments on it add up "
                f"to {written.get(contract_id, Decimal(0))}"
            )
    return check


def check_deal_moves(attempts: dict[str, Attempt], baseline: Baseline) -> KindCheck:
    check, mine = _start("deal_move", attempts)
    history: dict[int, list[tuple[int | None, int]]] = defaultdict(list)
    for deal_id, from_stage, to_stage in StageChange.objects.filter(pk__gt=baseline.stage_change_id).values_list(
        "deal_id", "from_stage_id", "to_stage_id"
    ):
        history[deal_id].append((from_stage, to_stage))
    check.rows = sum(len(moves) for moves in history.values())
    by_deal: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in mine:
        by_deal[int(attempt.sent["deal"])].append(attempt)
    versions = dict(Deal.all_objects.filter(pk__in=set(history) | set(by_deal)).values_list("id", "version"))
    for deal_id in sorted(set(history) | set(by_deal)):
        tried = by_deal.get(deal_id, [])
        acknowledged = Counter((a.sent["from_stage"], a.sent["to_stage"]) for a in tried if a.group == "acknowledged")
        possible = acknowledged + Counter(
            (a.sent["from_stage"], a.sent["to_stage"]) for a in tried if a.group == "indeterminate"
        )
        rows = Counter(history.get(deal_id, []))
        label = f"deal {deal_id}"
        if not tried:
            check.phantom.append(label)  # moved, but by nobody in this run
            continue
        if acknowledged - rows:
            check.lost.append(label)
        extra = rows - possible
        if extra:
            # More rows of one move than were ever sent is a duplicate; a move nobody sent a phantom.
            sent_pairs = Counter((a.sent["from_stage"], a.sent["to_stage"]) for a in tried)
            (check.duplicated if all(pair in sent_pairs for pair in extra) else check.phantom).append(label)
        grew = versions.get(deal_id, 0) - baseline.deal_versions.get(deal_id, 0)
        if grew != rows.total():
            check.notes.append(f"{label}: version grew by {grew} but {rows.total()} moves were recorded")
        undecided = sum(1 for a in tried if a.group == "indeterminate")
        written_undecided = rows.total() - acknowledged.total()
        check.indeterminate_written += max(0, min(undecided, written_undecided))
        check.indeterminate_not_written += max(0, undecided - max(0, written_undecided))
    return check


def count_check(run_id: str, folder: Path, baseline: Baseline) -> dict[str, Any]:
    attempts, reused = read_attempts(folder)
    checks = [
        check_follow_ups(run_id, attempts, baseline),
        check_payments(run_id, attempts, baseline),
        check_deal_moves(attempts, baseline),
    ]
    return {
        "passed": all(check.passed for check in checks) and not reused,
        "reused_ids": reused[:SAMPLE],
        "kinds": [check.as_dict() for check in checks],
    }
