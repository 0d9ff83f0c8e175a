"""Fitting the learned score on the company's own closed leads, with an honest held-out report.

Closed history is split by time: the model is fitted on the older 80% and judged on the newest
20%, so the report says how well it would have ranked leads it had never seen.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from crm.core import clock
from crm.leads.models import Lead, LeadStatus, ScoringModel
from crm.leads.scoring import model as lr
from crm.leads.scoring.features import lead_features

# Open leads untouched this long count as lost: nobody converted them.
AGED_OUT_DAYS = 180
MAX_FEATURES = 150
MIN_FEATURE_COUNT = 3
MAX_ROWS = 20_000
TEST_SHARE = 0.2


def min_closed() -> int:
    return int(getattr(settings, "CRM_LEAD_MODEL_MIN_CLOSED", 200))


def min_each_class() -> int:
    return int(getattr(settings, "CRM_LEAD_MODEL_MIN_EACH", 30))


@dataclass(frozen=True)
class TrainingResult:
    trained: bool
    closed: int
    positives: int
    negatives: int
    model_id: int | None = None
    auc: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "trained": self.trained,
            "closed": self.closed,
            "positives": self.positives,
            "negatives": self.negatives,
            "model_id": self.model_id,
            "auc": self.auc,
        }


def closed_history(now: dt.datetime) -> list[tuple[Lead, int]]:
    """The newest closed leads, oldest first, labelled 1 (converted) or 0 (unqualified or aged out)."""
    aged = now - dt.timedelta(days=AGED_OUT_DAYS)
    closed = Q(status__in=[LeadStatus.CONVERTED, LeadStatus.UNQUALIFIED]) | Q(
        status__in=[LeadStatus.NEW, LeadStatus.CONTACTED], updated_at__lt=aged
    )
    fields = ["id", "created_at", "status", "industry", "province", "channel", "campaign"]
    fields += ["annual_revenue", "mobile", "email", "company_name"]
    rows = list(Lead.objects.filter(closed).only(*fields).order_by("-created_at", "-id")[:MAX_ROWS])
    rows.reverse()
    return [(lead, 1 if lead.status == LeadStatus.CONVERTED else 0) for lead in rows]


def _vocabulary(samples: list[list[str]]) -> list[str]:
    counts = Counter(key for keys in samples for key in set(keys))
    frequent = [key for key, count in counts.most_common() if count >= MIN_FEATURE_COUNT]
    return sorted(frequent[:MAX_FEATURES])


def train(now: dt.datetime | None = None) -> TrainingResult:
    """Fit and store a new model when history allows; otherwise leave the current one in place."""
    now = now or clock.now()
    history = closed_history(now)
    labels = [label for _lead, label in history]
    positives = sum(labels)
    negatives = len(labels) - positives
    if len(history) < min_closed() or min(positives, negatives) < min_each_class():
        return TrainingResult(False, len(history), positives, negatives)
    keys = [lead_features(lead) for lead, _label in history]
    names = _vocabulary(keys)
    index = {name: i for i, name in enumerate(names)}
    rows = [[index[key] for key in sample if key in index] for sample in keys]
    cutoff = int(len(rows) * (1 - TEST_SHARE))
    fitted = lr.fit(rows[:cutoff], labels[:cutoff], len(names))
    test_scores = [fitted.probability(row) for row in rows[cutoff:]]
    test_labels = labels[cutoff:]
    area = lr.auc(test_scores, test_labels)
    metrics = {
        "auc": None if area is None else round(area, 4),
        "n_train": cutoff,
        "n_test": len(test_labels),
        "positives": positives,
        "negatives": negatives,
        "test_positives": sum(test_labels),
        "cutoff": history[cutoff][0].created_at.isoformat() if cutoff < len(history) else None,
        "deciles": lr.deciles(test_scores, test_labels),
    }
    with transaction.atomic():
        ScoringModel.objects.filter(is_active=True).update(is_active=False)
        stored = ScoringModel.objects.create(
            trained_at=now,
            feature_names=names,
            coefficients=[round(w, 6) for w in fitted.weights],
            intercept=round(fitted.intercept, 6),
            metrics=metrics,
            is_active=True,
        )
    return TrainingResult(True, len(history), positives, negatives, stored.pk, None if area is None else round(area, 4))
