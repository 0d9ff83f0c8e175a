"""The lead settings API: administrators manage rules; everyone else is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from conftest import Org
from crm.core.actors import api_actor
from crm.identity.models import User
from crm.identity.services import token_create
from crm.leads.models import ScoringRule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def api(user: User) -> Client:
    User.objects.filter(pk=user.pk).update(language="en")
    _token, secret = token_create(actor=api_actor(user), name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def call(client: Client, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
    response = getattr(client, method)(f"/api/v1/lead-rules{path}", payload, content_type="application/json")
    return response.status_code, (response.json() if response.content else None)


def test_an_administrator_creates_moves_and_deletes_scoring_rules(org: Org) -> None:
    client = api(org.admin)
    # when two rules are created
    industry = [{"field": "industry", "op": "in", "value": "制造业，汽车"}]
    status, first = call(client, "post", "/scoring", {"name": "制造业", "points": 18, "conditions": industry})
    assert status == 201
    assert (first["points"], first["conditions"]) == (
        18,
        [{"field": "industry", "op": "in", "value": ["制造业", "汽车"]}],
    )
    _status, second = call(client, "post", "/scoring", {"name": "Referral", "points": 10})
    # and the second moves up
    status, ordered = call(client, "post", f"/scoring/{second['id']}/move", {"up": True})
    assert (status, [rule["name"] for rule in ordered]) == (200, ["Referral", "制造业"])
    # and the first is deleted
    assert call(client, "delete", f"/scoring/{first['id']}")[0] == 204
    assert list(ScoringRule.objects.values_list("name", flat=True)) == ["Referral"]


def test_bad_conditions_give_422_with_the_field(org: Org) -> None:
    payload = {"points": 5, "conditions": [{"field": "annual_revenue", "op": "gte", "value": "lots"}]}
    status, body = call(api(org.admin), "post", "/scoring", payload)
    assert status == 422
    # (the API answers in the default language, Chinese)
    assert body["errors"] == [{"field": "conditions.0.value", "message": "年营业额（人民币）：请输入数字。"}]


def test_an_assignment_rule_round_trips_its_members(org: Org) -> None:
    payload = {"strategy": "weighted", "members": [{"user_id": org.rep_a1.pk, "weight": 3}]}
    status, body = call(api(org.admin), "post", "/assignment", payload)
    assert status == 201
    assert (body["strategy"], body["members"]) == ("weighted", [{"user_id": org.rep_a1.pk, "weight": 3}])


def test_a_rep_is_refused(org: Org) -> None:
    client = api(org.rep_a1)
    assert call(client, "get", "/criteria")[0] == 403
    assert call(client, "post", "/criteria", {"conditions": []})[0] == 403
    assert call(client, "get", "/model")[0] == 403


def test_an_unknown_kind_or_rule_is_refused(org: Org) -> None:
    client = api(org.admin)
    assert call(client, "get", "/nonsense")[0] == 422
    assert call(client, "get", "/criteria/999")[0] == 404
    assert call(client, "get", "/model") == (200, None)
