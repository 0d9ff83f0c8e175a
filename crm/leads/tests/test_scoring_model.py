"""The learned score: fitting, held-out report, fallback to rules, and its explained reasons."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from conftest import Org
from crm.core.actors import system_actor
from crm.leads.intake import lead_intake
from crm.leads.models import Lead, LeadStatus, ScoringModel
from crm.leads.rulebook import SCORING, rule_save
from crm.leads.scoring import model as lr
from crm.leads.tasks import retrain_scoring_model
from crm.leads.tests.factories import a_lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_auc_counts_ties_as_half() -> None:
    assert lr.auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert lr.auc([0.5, 0.5], [0, 1]) == 0.5
    assert lr.auc([0.2, 0.3], [1, 1]) is None


def test_deciles_report_size_predicted_and_observed() -> None:
    scores = [i / 20 for i in range(20)]
    labels = [0] * 10 + [1] * 10
    rows = lr.deciles(scores, labels)
    assert [row["n"] for row in rows] == [2] * 10
    assert (rows[0]["observed"], rows[-1]["observed"], rows[0]["predicted"]) == (0.0, 1.0, 0.025)


def test_fit_separates_synthetic_data() -> None:
    # given noisy data where feature 0 makes conversion likely and feature 1 unlikely
    rng = random.Random(7)  # noqa: S311  (reproducible test data)
    rows, labels = [], []
    for _ in range(600):
        active = [j for j in range(4) if rng.random() < 0.5]
        logit = -0.5 + 2.5 * (0 in active) - 2.0 * (1 in active)
        rows.append(active)
        labels.append(1 if rng.random() < lr.sigmoid(logit) else 0)
    # when fitted
    fitted = lr.fit(rows, labels, 4)
    # then the weights have the right signs and the ranking is good
    assert fitted.weights[0] > 1.5
    assert fitted.weights[1] < -1.2
    assert abs(fitted.weights[2]) < 0.5
    assert abs(fitted.weights[3]) < 0.5
    area = lr.auc([fitted.probability(row) for row in rows], labels)
    assert area is not None
    assert area > 0.8


def _history(org: Org, count: int, start: dt.datetime) -> None:
    """Closed leads where manufacturing converts and retail does not, with some noise."""
    rng = random.Random(11)  # noqa: S311  (reproducible test data)
    leads = []
    for i in range(count):
        manufacturing = i % 2 == 0
        converted = rng.random() < (0.85 if manufacturing else 0.1)
        leads.append(
            Lead(
                name=f"历史线索{i}",
                owner=org.rep_a1,
                industry="制造业" if manufacturing else "零售",
                province=rng.choice(["浙江省", "江苏省"]),
                channel=rng.choice(["web_form", "event"]),
                annual_revenue=Decimal(rng.choice([500_000, 20_000_000])),
                status=LeadStatus.CONVERTED if converted else LeadStatus.UNQUALIFIED,
                created_at=start + dt.timedelta(hours=i),
                updated_at=start + dt.timedelta(hours=i),
            )
        )
    Lead.objects.bulk_create(leads)


def test_below_the_minimum_history_the_rules_stay_in_charge(org: Org, settings: object) -> None:
    # given too little history and one rule
    _history(org, 150, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    rule_save(
        actor=org.actor(org.admin),
        kind=SCORING,
        values={"name": "制造业", "points": 12, "conditions": [{"field": "industry", "op": "eq", "value": "制造业"}]},
    )
    # when the model is retrained
    result = retrain_scoring_model.call()
    # then nothing is stored and new leads are scored by the rules
    assert result == {
        "trained": False,
        "closed": 150,
        "positives": result["positives"],
        "negatives": result["negatives"],
        "model_id": None,
        "auc": None,
    }
    assert ScoringModel.objects.count() == 0
    lead = a_lead(org.rep_a1, industry="制造业")
    lead.refresh_from_db()
    assert (lead.score, lead.score_reasons) == (12, [{"points": 12, "text": "制造业"}])


def test_with_enough_history_the_model_scores_and_explains(org: Org) -> None:
    # given 400 closed leads, half manufacturing (mostly converted), half retail (mostly lost)
    _history(org, 400, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    # when retrained (twice: the task is idempotent)
    first = retrain_scoring_model.call()
    second = retrain_scoring_model.call()
    # then one model is in use, judged on the newest 20% of history
    assert first["trained"] is True
    assert second["trained"] is True
    model = ScoringModel.objects.get(is_active=True)
    assert ScoringModel.objects.count() == 2
    assert (model.metrics["n_train"], model.metrics["n_test"]) == (320, 80)
    assert model.metrics["auc"] > 0.8
    assert sum(row["n"] for row in model.metrics["deciles"]) == 80
    assert "industry=制造业" in model.feature_names
    # and a new manufacturer outscores a new retailer, with the industry as the top reason
    maker = Lead.objects.create(name="Wang Lei", owner=org.rep_a1, industry="制造业", province="浙江省")
    shop = Lead.objects.create(name="Li Na", owner=org.rep_a1, industry="零售", province="浙江省")
    lead_intake(actor=system_actor("test"), leads=[maker, shop])
    maker.refresh_from_db()
    shop.refresh_from_db()
    assert maker.score > 60 > 30 > shop.score
    assert maker.score_reasons[0]["text"] == "industry = 制造业"
    assert maker.score_reasons[0]["points"] > 0
    assert shop.score_reasons[0]["text"] == "industry = 零售"
    assert shop.score_reasons[0]["points"] < 0


def test_the_minimum_history_is_configurable(org: Org, settings: object) -> None:
    _history(org, 100, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    settings.CRM_LEAD_MODEL_MIN_CLOSED = 80  # type: ignore[attr-defined]
    settings.CRM_LEAD_MODEL_MIN_EACH = 10  # type: ignore[attr-defined]
    assert retrain_scoring_model.call()["trained"] is True
