"""Query budgets for every list page and list API.

Each screen is measured with 5 rows and again with 30 rows (more than a page for 25-row
lists): the number of queries must be the same, so it does not grow with the rows shown,
and must stay within a fixed budget. A changed budget is a reviewed change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from conftest import Org
from crm.activities.services import activity_create
from crm.core.actors import system_actor, web_actor
from crm.customers.models import Contact, Customer
from crm.customers.presentation import CUSTOMER_COLUMNS
from crm.customers.services import contact_delete, customer_delete
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.models import User
from crm.identity.services import preference_set, token_create
from crm.leads.services import lead_delete
from crm.leads.tests.factories import a_lead

FEW = 5
MANY = 30
TAGS = ["重点客户", "华东", "制造业", "续约", "大客户", "政府", "外资"]
INDUSTRIES = ["软件与信息服务", "智能制造", "医疗器械", "新能源"]


@pytest.fixture(autouse=True)
def _fast_passwords() -> Iterator[None]:
    # The org fixture sets nine passwords; Argon2 would spend seconds on each test's setup.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@dataclass
class Rows:
    """Adds rows to a screen, `count` at a time, numbering them on from the last call."""

    org: Org
    made: int = 0
    customers: list[Customer] = field(default_factory=list)

    def owners(self) -> list[User]:
        org = self.org
        return [org.rep_a1, org.rep_a2, org.rep_b1, org.rep_n1, org.east_a_manager]

    def customer(self, owner: User | None = None) -> Customer:
        number = self.made
        self.made += 1
        owner = owner or self.owners()[number % len(self.owners())]
        customer = a_customer(
            owner,
            name=f"星河澜沧科技有限公司{number:03d}",
            phone=f"1381234{number:04d}",
            email=f"sales{number}@lancang.cn",
            industry=INDUSTRIES[number % len(INDUSTRIES)],
            province="上海市",
            city="上海市",
            tags=[TAGS[number % len(TAGS)], TAGS[(number + 3) % len(TAGS)]],
        )
        self.customers.append(customer)
        return customer

    def contact(self, customer: Customer | None = None) -> Contact:
        number = self.made
        self.made += 1
        customer = customer or self.customer()
        return a_contact(
            customer.owner,
            customer,
            name=f"欧阳澜清{number:03d}",
            mobile=f"1398765{number:04d}",
            email=f"contact{number}@lancang.cn",
            title="采购经理",
        )


def _measure(client: Client, path: str, counting: AbstractContextManager[CaptureQueriesContext]) -> tuple[int, str]:
    """Queries and body of one GET, after a first request has warmed per-process caches."""
    assert client.get(path).status_code == 200
    with counting as captured:
        response = client.get(path)
        content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    body = content.decode()
    if response["Content-Type"].startswith("application/json"):  # as text, not \u escapes
        body = json.dumps(json.loads(body), ensure_ascii=False)
    assert response.status_code == 200, path
    return len(captured), body


def _assert_flat(
    client: Client,
    path: str,
    add: Callable[[int], object],
    *,
    marker: str,
    budget: int,
    assert_max: DjangoAssertNumQueries,
) -> None:
    """`marker` is printed once per row shown, proving the second response shows more rows."""
    # given a few rows
    add(FEW)
    # when the screen is shown
    few, few_body = _measure(client, path, CaptureQueriesContext(connection))
    # and again with many more rows
    add(MANY - FEW)
    many, many_body = _measure(client, path, assert_max(budget, info=path))
    # then it shows more rows with as many queries as before, within the budget (checked by assert_max)
    assert few_body.count(marker) > 0, path
    assert many_body.count(marker) > few_body.count(marker), path
    assert many == few, f"{path}: {few} queries for {FEW} rows, {many} for {MANY}"


def _as(org: Org, user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Customers -------------------------------------------------------------------------------------

CUSTOMER = "星河澜沧科技有限公司"
CONTACT = "欧阳澜清"
# A manager's scope costs two queries a request: the team's path, then the team ids under it.
SCOPE_QUERIES = {"director": 0, "finance": 0, "east_manager": 2}


@pytest.mark.parametrize(
    ("columns", "budget"),
    [
        pytest.param(None, 9, id="default-columns-with-tags"),
        pytest.param([c.key for c in CUSTOMER_COLUMNS if c.key != "tags"], 8, id="every-column-but-tags"),
        pytest.param([c.key for c in CUSTOMER_COLUMNS], 9, id="every-column"),
    ],
)
@pytest.mark.parametrize("viewer", list(SCOPE_QUERIES))
def test_customer_list_queries_do_not_grow_with_rows(
    org: Org,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    columns: list[str] | None,
    budget: int,
    viewer: str,
) -> None:
    user: User = getattr(org, viewer)
    if columns is not None:
        preference_set(actor=web_actor(user), key="customer_columns", value=columns)
    rows = Rows(org)
    _assert_flat(
        _as(org, user),
        "/customers/",
        lambda n: [rows.customer() for _ in range(n)],
        marker=CUSTOMER,
        budget=budget + SCOPE_QUERIES[viewer],
        assert_max=django_assert_max_num_queries,
    )


def test_customer_search_queries_do_not_grow_with_rows(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    rows = Rows(org)
    _assert_flat(
        _as(org, org.director),
        "/customers/?q=澜沧科技",
        lambda n: [rows.customer() for _ in range(n)],
        marker=CUSTOMER,
        budget=9,
        assert_max=django_assert_max_num_queries,
    )


def test_customer_export_queries_do_not_grow_with_rows(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    preference_set(actor=web_actor(org.finance), key="customer_columns", value=[c.key for c in CUSTOMER_COLUMNS])
    rows = Rows(org)
    _assert_flat(
        _as(org, org.finance),
        "/customers/export.csv",
        lambda n: [rows.customer() for _ in range(n)],
        marker=CUSTOMER,
        budget=8,
        assert_max=django_assert_max_num_queries,
    )


def test_customer_detail_queries_do_not_grow_with_contacts(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    rows = Rows(org)
    customer = rows.customer(owner=org.rep_a1)
    _assert_flat(
        _as(org, org.east_manager),
        f"/customers/{customer.pk}/",
        lambda n: [rows.contact(customer) for _ in range(n)],
        marker=CONTACT,
        budget=10,
        assert_max=django_assert_max_num_queries,
    )


def test_activity_panel_queries_do_not_grow_with_follow_ups(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    # given a customer with contacts, followed up by different people
    rows = Rows(org)
    customer = rows.customer(owner=org.rep_a1)
    contacts = [rows.contact(customer) for _ in range(3)]
    loggers = [org.rep_a1, org.east_a_manager, org.east_manager, org.director]

    def follow_ups(count: int) -> None:
        for number in range(count):
            activity_create(
                actor=web_actor(loggers[number % len(loggers)]),
                values={
                    "customer_id": customer.pk,
                    "contact_id": contacts[number % len(contacts)].pk,
                    "kind": "call",
                    "content": f"第{number}次电话沟通",
                    "next_step": "发送报价",
                },
            )

    _assert_flat(
        _as(org, org.finance),
        f"/activities/customer/{customer.pk}/",
        follow_ups,
        marker="次电话沟通",
        # +2: names of related records in the changes (owners, customers), one query per model;
        # +2: the contracts timeline source (the customer's visible contracts, then their history);
        # +2: the payments timeline source (payments, then invoices)
        budget=16,
        assert_max=django_assert_max_num_queries,
    )


# Contacts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/contacts/", "/contacts/?q=欧阳澜清"])
def test_contact_list_queries_do_not_grow_with_rows(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries, path: str
) -> None:
    rows = Rows(org)
    _assert_flat(
        _as(org, org.director),
        path,
        lambda n: [rows.contact() for _ in range(n)],
        marker=CONTACT,
        budget=6,
        assert_max=django_assert_max_num_queries,
    )


def test_contact_export_queries_do_not_grow_with_rows(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    rows = Rows(org)
    _assert_flat(
        _as(org, org.finance),
        "/contacts/export.csv",
        lambda n: [rows.contact() for _ in range(n)],
        marker=CONTACT,
        budget=7,
        assert_max=django_assert_max_num_queries,
    )


# API -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/customers?q=澜沧科技", "/api/v1/customers?limit=100"])
def test_customer_api_list_queries_do_not_grow_with_rows(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries, path: str
) -> None:
    rows = Rows(org)
    _assert_flat(
        _as(org, org.finance),
        path,
        lambda n: [rows.customer() for _ in range(n)],
        marker=CUSTOMER,
        budget=5,
        assert_max=django_assert_max_num_queries,
    )


@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/contacts?q=欧阳澜清"])
def test_contact_api_list_queries_do_not_grow_with_rows(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries, path: str
) -> None:
    rows = Rows(org)
    _assert_flat(
        _as(org, org.finance),
        path,
        lambda n: [rows.contact() for _ in range(n)],
        marker=CONTACT,
        budget=4,
        assert_max=django_assert_max_num_queries,
    )


def test_activity_api_list_queries_do_not_grow_with_rows(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    rows = Rows(org)
    customers = [rows.customer() for _ in range(4)]

    def follow_ups(count: int) -> None:
        for number in range(count):
            customer = customers[number % len(customers)]
            activity_create(
                actor=web_actor(customer.owner),
                values={"customer_id": customer.pk, "kind": "visit", "content": f"第{number}次拜访"},
            )

    _assert_flat(
        _as(org, org.east_manager),
        "/api/v1/activities",
        follow_ups,
        marker="次拜访",
        budget=4 + SCOPE_QUERIES["east_manager"],
        assert_max=django_assert_max_num_queries,
    )


def test_api_list_through_a_token_does_not_grow_with_rows(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    _token, secret = token_create(actor=web_actor(org.director), name="budget")
    rows = Rows(org)
    _assert_flat(
        Client(HTTP_AUTHORIZATION=f"Bearer {secret}"),
        "/api/v1/customers",
        lambda n: [rows.customer() for _ in range(n)],
        marker=CUSTOMER,
        budget=3,
        assert_max=django_assert_max_num_queries,
    )


# Home, audit log, recycle bin ------------------------------------------------------------------


def test_home_page_queries_do_not_grow_with_due_follow_ups(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    # given follow-ups due today and overdue on the rep's customers, some with a contact
    rows = Rows(org)
    today = timezone.localdate()

    def due(count: int) -> None:
        for number in range(count):
            customer = rows.customer(owner=org.rep_a1)
            contact = rows.contact(customer) if number % 2 else None
            activity_create(
                actor=web_actor(org.rep_a1),
                values={
                    "customer_id": customer.pk,
                    "contact_id": contact.pk if contact else None,
                    "kind": "call",
                    "content": f"第{number}次电话",
                    "next_step": "约上门演示",
                    "next_contact_on": today - dt.timedelta(days=number % 3),
                },
            )

    _assert_flat(
        _as(org, org.rep_a1),
        "/",
        due,
        marker="约上门演示",
        budget=6,  # overdue and today's tasks are two capped queries
        assert_max=django_assert_max_num_queries,
    )


def test_audit_log_queries_do_not_grow_with_entries(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    # given changes made by different people
    rows = Rows(org)
    people = [org.rep_a1, org.east_a_manager, org.director, org.admin]

    def changes(count: int) -> None:
        for number in range(count):
            customer = rows.customer(owner=org.rep_a1)
            activity_create(
                actor=web_actor(people[number % len(people)]),
                values={"customer_id": customer.pk, "kind": "note", "content": f"第{number}条备注"},
            )

    _assert_flat(
        _as(org, org.admin),
        "/audit/",
        changes,
        marker="条备注",
        budget=8,  # +2: names of related records in the changes (customers, contacts), one query per model
        assert_max=django_assert_max_num_queries,
    )


def test_trash_queries_do_not_grow_with_deleted_records(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    rows = Rows(org)

    def deleted(count: int) -> None:
        for _ in range(count):
            contact = rows.contact()
            contact_delete(actor=system_actor("test"), contact_id=contact.pk)
            assert contact.customer_id is not None
            customer_delete(actor=system_actor("test"), customer_id=contact.customer_id)
            lead = a_lead(org.rep_a1, name=f"{CONTACT}线索")
            lead_delete(actor=system_actor("test"), lead_id=lead.pk)

    _assert_flat(
        _as(org, org.director),
        "/trash/",
        deleted,
        marker=CONTACT,
        budget=7,  # +1: the deleted deals
        assert_max=django_assert_max_num_queries,
    )
