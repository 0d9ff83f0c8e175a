"""The board, list and detail pages: query budgets, drag-and-drop moves, refusals, export."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from conftest import PASSWORD, Org
from crm.customers.tests.factories import a_customer
from crm.deals.models import Deal
from crm.deals.tests.factories import a_deal, stage_named


def _signed_in(client: Client, username: str) -> Client:
    # The UI speaks Chinese unless the user chose otherwise, so pages are checked in Chinese.
    client.login(username=username, password=PASSWORD)
    return client


def _deals(org: Org, count: int) -> None:
    customer = a_customer(org.rep_a1)
    for number in range(count):
        a_deal(org.rep_a1, customer, name=f"项目 {number}", amount=str(1000 + number))


@pytest.mark.parametrize("path", ["/deals/", "/deals/list/"])
def test_board_and_list_use_the_same_number_of_queries_for_5_and_30_deals(
    org: Org, client: Client, django_assert_max_num_queries: DjangoAssertNumQueries, path: str
) -> None:
    # given a signed-in owner
    _signed_in(client, "rep_a1")
    counts = []
    for batch in (5, 25):
        _deals(org, batch)
        client.get(path)  # warm per-process caches (session, translations)
        with django_assert_max_num_queries(40) as captured:
            response = client.get(path)
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))

    # then the count does not grow with the deals shown
    assert counts[0] == counts[1]


def test_board_shows_column_totals(org: Org, client: Client) -> None:
    customer = a_customer(org.rep_a1)
    a_deal(org.rep_a1, customer, amount="100000")
    a_deal(org.rep_a1, customer, amount="50000")
    body = _signed_in(client, "rep_a1").get("/deals/").content.decode()
    assert "2 个商机" in body
    assert "¥150,000.00" in body
    assert "加权 ¥15,000.00" in body


def test_a_refused_drop_returns_the_missing_items_and_a_snap_back_trigger(org: Org, client: Client) -> None:
    # given a deal without the next stage's requirements
    deal = a_deal(org.rep_a1)

    # when it is dropped on 需求确认
    response = _signed_in(client, "rep_a1").post(
        "/deals/move/",
        {"deal_id": deal.pk, "version": deal.version, "stage_id": stage_named("需求确认").pk},
        HTTP_HX_REQUEST="true",
    )

    # then the modal lists the missing items and the card is told to snap back
    body = response.content.decode()
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"deal-move-refused": {"deal_id": deal.pk}}
    assert "请填写：客户预算" in body
    assert "请勾选检查项：已了解客户业务痛点" in body
    assert Deal.objects.get(pk=deal.pk).stage.name == "初步沟通"


def test_an_allowed_drop_moves_the_deal_and_refreshes_the_totals(org: Org, client: Client) -> None:
    # given a deal that meets the next stage's requirements
    deal = a_deal(org.rep_a1)
    deal.ticks.all().delete()
    stage = stage_named("需求确认")
    stage.required_fields = []
    stage.save()
    stage.checklist.all().delete()

    # when it is dropped on 需求确认
    response = _signed_in(client, "rep_a1").post(
        "/deals/move/", {"deal_id": deal.pk, "version": deal.version, "stage_id": stage.pk}, HTTP_HX_REQUEST="true"
    )

    # then it moved, the card learns its new version and the column totals are swapped in
    assert json.loads(response["HX-Trigger"]) == {"deal-moved": {"deal_id": deal.pk, "version": deal.version + 1}}
    assert f'id="totals-{stage.pk}"' in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).stage == stage


def test_export_csv_lists_visible_deals(org: Org, client: Client) -> None:
    a_deal(org.rep_a1, name="华东云桌面项目")
    a_deal(org.rep_n1, name="北京数据中台")
    response = _signed_in(client, "admin").get("/deals/export.csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert "华东云桌面项目" in body
    assert "北京数据中台" in body


def test_detail_page_shows_next_stage_requirements(org: Org, client: Client) -> None:
    deal = a_deal(org.rep_a1)
    body = _signed_in(client, "rep_a1").get(f"/deals/{deal.pk}/").content.decode()
    assert "进入“需求确认”需满足" in body
    assert "请填写：客户预算" in body


def test_pipeline_settings_are_for_administrators_only(org: Org, client: Client) -> None:
    assert _signed_in(client, "rep_a1").get("/deals/pipelines/").status_code == 403
    assert _signed_in(Client(), "admin").get("/deals/pipelines/").status_code == 200


def test_customer_page_panel_lists_the_customers_visible_deals(org: Org, client: Client) -> None:
    customer = a_customer(org.rep_a1)
    a_deal(org.rep_a1, customer, name="华东云桌面项目")
    body = _signed_in(client, "rep_a1").get(f"/deals/customer/{customer.pk}/").content.decode()
    assert "华东云桌面项目" in body
    assert (
        "华东云桌面项目" not in _signed_in(Client(), "rep_n1").get(f"/deals/customer/{customer.pk}/").content.decode()
    )


def test_ticking_a_checklist_item_returns_the_requirements_panel(org: Org, client: Client) -> None:
    deal = a_deal(org.rep_a1)
    item = stage_named("需求确认").checklist.order_by("position").first()
    assert item is not None
    response = _signed_in(client, "rep_a1").post(
        f"/deals/{deal.pk}/checklist/{item.pk}/", {"ticked": "1"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="requirements"')
    assert 'aria-checked="true"' in body


def test_a_refused_move_from_the_detail_page_lists_what_is_missing(org: Org, client: Client) -> None:
    deal = a_deal(org.rep_a1)
    response = _signed_in(client, "rep_a1").post(
        f"/deals/{deal.pk}/move/", {"version": deal.version, "stage_id": stage_named("需求确认").pk}, follow=True
    )
    body = response.content.decode()
    assert "商机暂时不能进入“需求确认”" in body
    assert "• 请填写：客户预算" in body


def test_the_deal_page_plans_and_lists_tasks_about_the_deal(org: Org) -> None:
    from django.test import Client

    from crm.activities.models import Task

    deal = a_deal(org.rep_a1, name="数据中台建设项目")
    client = Client()
    client.force_login(org.rep_a1)
    response = client.post(f"/deals/{deal.pk}/tasks/", {"title": "发送修改后的报价", "due_on": "2030-03-05"})
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.related_type, task.related_id, task.customer_id, task.owner_id) == (
        "deals.deal",
        deal.pk,
        deal.customer_id,
        org.rep_a1.pk,
    )
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "发送修改后的报价" in page
    # a rep of another team can neither see the deal nor plan tasks on it
    other = Client()
    other.force_login(org.rep_n1)
    assert other.post(f"/deals/{deal.pk}/tasks/", {"title": "x", "due_on": "2030-03-05"}).status_code == 404
    assert Task.objects.count() == 1
