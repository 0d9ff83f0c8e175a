"""Scoring rules: points for fit and engagement, engagement points decaying with a half-life."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crm.leads.conditions import AnyOf, Clause, all_hold, parse_conditions
from crm.leads.models import ScoreKind, ScoringRule


@dataclass(frozen=True)
class ActiveScoringRule:
    rule_id: int
    name: str
    kind: str
    points: int
    half_life_days: int | None
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Reason:
    points: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"points": self.points, "text": self.text}


def active_scoring_rules() -> list[ActiveScoringRule]:
    return [
        ActiveScoringRule(
            row.pk, row.name, row.kind, row.points, row.half_life_days, tuple(parse_conditions(row.conditions))
        )
        for row in ScoringRule.objects.filter(is_active=True).order_by("position", "id")
    ]


def decayed(points: int, half_life_days: int | None, age_days: Decimal | None) -> int:
    """Points after halving every `half_life_days` days of `age_days` (rounded half away from zero)."""
    if not half_life_days or not age_days:
        return points
    value = points * 0.5 ** (float(age_days) / half_life_days)
    return int(value + (0.5 if value >= 0 else -0.5))


def decay_basis(clauses: Sequence[Clause]) -> str:
    """The age an engagement rule decays by: since the last follow-up for a rule about follow-ups
    ("+10 followed up in the last 7 days" fades from that follow-up), else since the last touch."""
    conditions = [c for clause in clauses for c in (clause.conditions if isinstance(clause, AnyOf) else (clause,))]
    if any(condition.field == "days_since_follow_up" for condition in conditions):
        return "days_since_follow_up"
    return "days_since_update"


def rule_points(
    rules: Sequence[ActiveScoringRule], facts: Mapping[str, Any], *, kinds: frozenset[str] | None = None
) -> list[Reason]:
    """One reason per matching rule of the given kinds; decayed to zero points means no reason."""
    reasons: list[Reason] = []
    for rule in rules:
        if kinds is not None and rule.kind not in kinds:
            continue
        if not all_hold(rule.clauses, facts):
            continue
        points = rule.points
        if rule.kind == ScoreKind.ENGAGEMENT:
            points = decayed(points, rule.half_life_days, facts.get(decay_basis(rule.clauses)))
        if points:
            reasons.append(Reason(points, rule.name))
    return reasons
