"""One explained score per lead: the learned model for fit once there is history, rules otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm.leads.models import Lead, ScoreKind, ScoringModel
from crm.leads.scoring import model as lr
from crm.leads.scoring.features import feature_label, lead_features
from crm.leads.scoring.follow_ups import follow_up_reasons
from crm.leads.scoring.rules import ActiveScoringRule, Reason, active_scoring_rules, rule_points

MAX_REASONS = 6
MIN_SCORE, MAX_SCORE = 0, 100
_ENGAGEMENT = frozenset({ScoreKind.ENGAGEMENT.value})


@dataclass(frozen=True)
class LearnedScore:
    fitted: lr.Fitted
    index: dict[str, int]
    labels: list[str]

    @classmethod
    def from_row(cls, row: ScoringModel) -> LearnedScore:
        names = list(row.feature_names)
        return cls(
            lr.Fitted(float(row.intercept), [float(w) for w in row.coefficients]),
            {name: i for i, name in enumerate(names)},
            # Rendered once per batch: a bulk intake would otherwise translate them per lead.
            [feature_label(name) for name in names],
        )

    def explain(self, lead: Lead) -> tuple[int, list[Reason]]:
        active = [self.index[key] for key in lead_features(lead) if key in self.index]
        p = self.fitted.probability(active)
        # Each feature's share of the score: its weight times the slope of the sigmoid here,
        # in score points (0–100), so the reasons add up to roughly the distance from the base rate.
        slope = 100 * p * (1 - p)
        reasons = [Reason(round(self.fitted.weights[j] * slope), self.labels[j]) for j in active]
        return round(100 * p), [reason for reason in reasons if reason.points]


@dataclass(frozen=True)
class Scored:
    score: int
    reasons: list[dict[str, Any]]
    source: str


class Scorer:
    """Loads the rules and the model once, then scores any number of leads."""

    def __init__(self, rules: list[ActiveScoringRule], learned: LearnedScore | None) -> None:
        self.rules = rules
        self.learned = learned

    @classmethod
    def load(cls) -> Scorer:
        row = ScoringModel.objects.filter(is_active=True).order_by("-trained_at", "-id").first()
        return cls(active_scoring_rules(), LearnedScore.from_row(row) if row is not None else None)

    def score(self, lead: Lead, facts: Mapping[str, Any]) -> Scored:
        followed = follow_up_reasons(facts)
        if self.learned is None:
            reasons = rule_points(self.rules, facts) + followed
            total, source = sum(reason.points for reason in reasons), "rules"
        else:
            # The model replaces the fit rules; engagement (rules and follow-ups) still adds its
            # decaying points on top.
            base, explained = self.learned.explain(lead)
            engagement = rule_points(self.rules, facts, kinds=_ENGAGEMENT) + followed
            reasons = explained + engagement
            total, source = base + sum(reason.points for reason in engagement), "model"
        top = sorted(reasons, key=lambda r: (-abs(r.points), r.text))[:MAX_REASONS]
        # A score reads 0–100 everywhere; the reasons still show every point given or taken.
        return Scored(max(MIN_SCORE, min(MAX_SCORE, total)), [reason.to_json() for reason in top], source)
