"""The lead settings screens: administrators only, the condition builder, ordering, capacity, report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from conftest import Org
from crm.audit.models import AuditEntry
from crm.identity.models import User
from crm.leads.models import AssignmentRule, EntryCriterion, RepCapacity, ScoringModel, ScoringRule
from crm.leads.rulebook import ASSIGNMENT, CRITERIA, SCORING, capacity_set, rule_save

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def signed_in(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(language="en")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/leads/settings/"),
        ("get", "/leads/settings/model/"),
        ("get", "/leads/settings/criteria/new/"),
        ("post", "/leads/settings/scoring/new/"),
        ("post", "/leads/settings/capacity/1/"),
    ],
)
def test_a_rep_or_manager_cannot_open_or_change_lead_settings(org: Org, method: str, path: str) -> None:
    for user in (org.rep_a1, org.east_manager):
        response = getattr(signed_in(user), method)(path)
        assert response.status_code == 403, (user, path)
    assert ScoringRule.objects.count() == 0


def test_a_rep_cannot_change_rules_through_the_service(org: Org) -> None:
    from crm.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        rule_save(actor=org.actor(org.rep_a1), kind=CRITERIA, values={"conditions": []})


def test_the_settings_page_lists_every_kind(org: Org) -> None:
    # given one rule of each kind
    actor = org.actor(org.admin)
    revenue = {"field": "annual_revenue", "op": "gte", "value": 10000000}
    rule_save(actor=actor, kind=CRITERIA, values={"conditions": [revenue]})
    rule_save(actor=actor, kind=SCORING, values={"name": "制造业加分", "points": 18, "conditions": []})
    # when the administrator opens the page
    body = signed_in(org.admin).get("/leads/settings/").content.decode()
    # then
    assert "annual revenue (CNY) ≥ 10,000,000" in body
    assert "制造业加分" in body
    assert "+18" in body
    assert "No assignment rules" in body
    assert "张伟" in body  # capacity table lists the reps


def test_creating_a_criterion_from_the_condition_rows(org: Org) -> None:
    # when the form is posted with two rows (the first row left blank)
    response = signed_in(org.admin).post(
        "/leads/settings/criteria/new/",
        {
            "cond_field_1": "industry",
            "cond_op_1": "in",
            "cond_value_1": "制造业, 零售",
            "cond_field_2": "has_mobile",
            "cond_op_2": "is",
            "cond_value_2": "yes",
            "reason": "不是目标行业",
            "is_active": "on",
        },
    )
    # then the criterion is stored in the structured format and audited
    assert response.status_code == 302
    criterion = EntryCriterion.objects.get()
    assert criterion.conditions == [
        {"field": "industry", "op": "in", "value": ["制造业", "零售"]},
        {"field": "has_mobile", "op": "is", "value": True},
    ]
    assert criterion.name == "industry is one of 制造业, 零售 and has a mobile number: yes"
    assert AuditEntry.objects.filter(target_type="leads.entrycriterion", verb="create").count() == 1


def test_a_bad_value_is_shown_beside_its_box(org: Org) -> None:
    response = signed_in(org.admin).post(
        "/leads/settings/scoring/new/",
        {"cond_field_1": "annual_revenue", "cond_op_1": "gte", "cond_value_1": "很多", "points": "5", "kind": "fit"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="cond_value_1">annual revenue (CNY): Enter a number.' in body
    assert ScoringRule.objects.count() == 0


def test_bad_json_conditions_are_refused_on_the_json_box(org: Org) -> None:
    response = signed_in(org.admin).post(
        "/leads/settings/criteria/new/", {"conditions_json": '[{"field": "password", "op": "eq", "value": 1}]'}
    )
    assert 'data-field-error="conditions_json">Choose one of the listed fields.' in response.content.decode()


def test_an_assignment_rule_with_weights(org: Org) -> None:
    response = signed_in(org.admin).post(
        "/leads/settings/assignment/new/",
        {
            "name": "华东加权",
            "strategy": "weighted",
            "members": [str(org.rep_a1.pk), str(org.rep_a2.pk)],
            f"weight_{org.rep_a1.pk}": "3",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = AssignmentRule.objects.get()
    assert sorted(rule.members.values_list("user__username", "weight")) == [("rep_a1", 3), ("rep_a2", 1)]
    # and the edit form shows them again
    body = signed_in(org.admin).get(f"/leads/settings/assignment/{rule.pk}/").content.decode()
    assert f'name="weight_{org.rep_a1.pk}" value="3"' in body


def test_an_assignment_rule_without_reps_is_refused(org: Org) -> None:
    response = signed_in(org.admin).post("/leads/settings/assignment/new/", {"strategy": "round_robin"})
    assert 'data-field-error="members">Choose at least one rep.' in response.content.decode()


def test_move_toggle_and_delete(org: Org) -> None:
    # given three scoring rules
    actor = org.actor(org.admin)
    ids = [rule_save(actor=actor, kind=SCORING, values={"name": name, "points": 1}).pk for name in "ABC"]
    client = signed_in(org.admin)
    # when C moves up, A is disabled and B deleted
    client.post(f"/leads/settings/scoring/{ids[2]}/move/up/")
    client.post(f"/leads/settings/scoring/{ids[0]}/toggle/", {"active": "0"})
    client.post(f"/leads/settings/scoring/{ids[1]}/delete/")
    # then
    remaining = ScoringRule.objects.order_by("position").values_list("name", "is_active")
    assert list(remaining) == [("A", False), ("C", True)]
    assert client.post("/leads/settings/scoring/999/delete/").status_code == 404
    assert client.get("/leads/settings/nonsense/new/").status_code == 404


def test_capacity_is_set_and_lifted(org: Org) -> None:
    client = signed_in(org.admin)
    client.post(f"/leads/settings/capacity/{org.rep_a1.pk}/", {"max_open_leads": "40"})
    assert RepCapacity.objects.get(user=org.rep_a1).max_open_leads == 40
    response = client.post(f"/leads/settings/capacity/{org.rep_a1.pk}/", {"max_open_leads": "-3"}, follow=True)
    assert "Enter a number from 0 to 100000." in response.content.decode()
    client.post(f"/leads/settings/capacity/{org.rep_a1.pk}/", {"max_open_leads": ""})
    assert RepCapacity.objects.count() == 0


def test_model_report_without_a_model_explains_the_fallback(org: Org) -> None:
    body = signed_in(org.admin).get("/leads/settings/model/").content.decode()
    assert 'data-testid="no-model"' in body
    assert "at least 200 closed leads" in body


def _page_queries(client: Client, path: str) -> int:
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_settings_page_needs_as_many_queries_for_many_rules_as_for_few(org: Org) -> None:
    # given one rule of each kind
    actor = org.actor(org.admin)
    client = signed_in(org.admin)

    def add(count: int) -> None:
        for number in range(count):
            rule_save(
                actor=actor, kind=CRITERIA, values={"conditions": [{"field": "has_email", "op": "is", "value": True}]}
            )
            rule_save(actor=actor, kind=SCORING, values={"name": f"R{number}", "points": number + 1})
            rule_save(
                actor=actor,
                kind=ASSIGNMENT,
                values={"strategy": "weighted", "members": [org.rep_a1.pk, org.rep_b1.pk]},
            )
            capacity_set(actor=actor, user_id=org.rep_a2.pk, max_open_leads=number)

    add(1)
    few = _page_queries(client, "/leads/settings/")
    # when many more are added, then the page costs the same, within budget
    add(6)
    assert _page_queries(client, "/leads/settings/") == few
    assert few <= 14


def test_model_report_shows_auc_deciles_and_what_pushes_scores(org: Org) -> None:
    # given a model in use
    ScoringModel.objects.create(
        feature_names=["channel=referral", "industry=制造业", "revenue=lt1m"],
        coefficients=[0.61, 0.95, -0.59],
        intercept=-0.4,
        metrics={
            "auc": 0.83,
            "n_train": 480,
            "n_test": 120,
            "positives": 237,
            "negatives": 363,
            "test_positives": 51,
            "deciles": [{"decile": 1, "n": 12, "predicted": 0.16, "observed": 0.17}],
        },
        is_active=True,
    )
    # when the administrator opens the report
    body = signed_in(org.admin).get("/leads/settings/model/").content.decode()
    # then
    assert 'data-testid="auc">0.83<' in body
    assert "<td>1</td><td>12</td>" in body
    ups = body.split('data-testid="ups"')[1].split("</ul>")[0]
    downs = body.split('data-testid="downs"')[1].split("</ul>")[0]
    assert ups.index("industry = 制造业") < ups.index("lead source = Referral")
    assert "annual revenue (CNY) under 1M" in downs
