"""Entry criteria (入池标准): which new leads enter the lead pool and which are routed to unqualified."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crm.leads.conditions import Clause, clause_holds, describe_failure, parse_conditions
from crm.leads.models import EntryCriterion


@dataclass(frozen=True)
class ActiveCriterion:
    criterion_id: int
    clauses: tuple[Clause, ...]
    reason: str


def active_criteria() -> list[ActiveCriterion]:
    """The enabled criteria in order, parsed once per intake batch."""
    return [
        ActiveCriterion(row.pk, tuple(parse_conditions(row.conditions)), row.reason)
        for row in EntryCriterion.objects.filter(is_active=True).order_by("position", "id")
    ]


def entry_verdict(criteria: Sequence[ActiveCriterion], facts: Mapping[str, Any]) -> str | None:
    """None when the lead meets every criterion, else the reason of the first one it fails."""
    for criterion in criteria:
        for clause in criterion.clauses:
            if not clause_holds(clause, facts):
                return criterion.reason or describe_failure(clause, facts)
    return None
