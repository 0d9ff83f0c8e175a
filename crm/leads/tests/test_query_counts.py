"""Query budgets for the lead list page, its export and the list API.

Each is measured with 5 rows and again with 30 (more than one 25-row page): the number of
queries must be the same, and within a fixed budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Org
from crm.core.actors import api_actor
from crm.identity.models import User
from crm.identity.services import token_create
from crm.leads.tests.factories import a_lead

FEW = 5
MANY = 30
NAME = "欧阳澜清"
CHANNELS = ["web_form", "event", "referral", "advertising"]


class Leads:
    def __init__(self, org: Org) -> None:
        self.owners = [org.rep_a1, org.rep_a2, org.rep_b1, org.rep_n1, org.east_a_manager]
        self.made = 0

    def add(self, count: int) -> None:
        for _ in range(count):
            number = self.made
            self.made += 1
            a_lead(
                self.owners[number % len(self.owners)],
                name=f"{NAME}{number:03d}",
                company_name=f"星河澜沧科技有限公司{number:03d}",
                mobile=f"1398765{number:04d}",
                email=f"lead{number}@lancang.cn",
                channel=CHANNELS[number % len(CHANNELS)],
            )


def _measure(client: Client, path: str) -> tuple[int, str]:
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert response.status_code == 200, path
    body = content.decode()
    if response["Content-Type"].startswith("application/json"):
        body = json.dumps(json.loads(body), ensure_ascii=False)
    return len(captured), body


def _assert_flat(client: Client, path: str, add: Callable[[int], None], budget: int) -> None:
    # given a few rows
    add(FEW)
    # when the screen is shown, and again with many more rows
    few, few_body = _measure(client, path)
    add(MANY - FEW)
    many, many_body = _measure(client, path)
    # then it shows more rows with as many queries as before, within the budget
    assert many_body.count(NAME) > few_body.count(NAME) > 0, path
    assert many == few, f"{path}: {few} queries for {FEW} rows, {many} for {MANY}"
    assert many <= budget, f"{path}: {many} queries, budget {budget}"


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> Client:
    _token, secret = token_create(actor=api_actor(user), name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


# A manager's scope costs two queries a request: the team's path, then the team ids under it.
# The campaign filter's choices cost one more.
@pytest.mark.parametrize(("viewer", "budget"), [("director", 7), ("east_manager", 9), ("finance", 7)])
def test_lead_list_queries_do_not_grow_with_rows(org: Org, viewer: str, budget: int) -> None:
    _assert_flat(_web(getattr(org, viewer)), "/leads/", Leads(org).add, budget)


def test_lead_search_queries_do_not_grow_with_rows(org: Org) -> None:
    _assert_flat(_web(org.director), "/leads/?q=澜沧科技", Leads(org).add, 7)


def test_lead_export_queries_do_not_grow_with_rows(org: Org) -> None:
    _assert_flat(_web(org.finance), "/leads/export.csv", Leads(org).add, 7)


@pytest.mark.parametrize(("viewer", "budget"), [("director", 2), ("east_manager", 4)])
def test_lead_list_api_queries_do_not_grow_with_rows(org: Org, viewer: str, budget: int) -> None:
    _assert_flat(_api(getattr(org, viewer)), "/api/v1/leads?limit=100", Leads(org).add, budget)
