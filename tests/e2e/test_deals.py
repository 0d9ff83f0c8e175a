"""Deals in the browser: dragging cards across the board, a refused move, a follow-up that unlocks it, lost."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import Org
from crm.customers.models import DealRole
from crm.customers.tests.factories import a_contact, a_customer
from crm.deals.models import ChecklistItem, Deal
from crm.deals.services import checklist_tick, deal_contact_set
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.deals.tests.factories import a_deal, stage_named
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _pipeline(transactional_db: None) -> None:
    ensure_default_pipeline()


def drag(page: Page, card: Locator, column: Locator) -> None:
    """Drag with real mouse events, the way SortableJS's pointer fallback sees a user's hand."""
    box = card.bounding_box()
    target = column.locator(".board-cards").bounding_box()
    assert box is not None
    assert target is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + 30, steps=5)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 40, steps=20)
    # SortableJS checks what is under the pointer on a 50 ms timer: linger before letting go.
    page.wait_for_timeout(200)
    page.mouse.move(target["x"] + target["width"] / 2 + 5, target["y"] + 45, steps=2)
    page.wait_for_timeout(200)
    page.mouse.up()


def test_drag_across_the_board_refused_then_unlocked_by_a_follow_up_then_lost(page: Page, org: Org) -> None:
    # given a deal ready for 需求确认, with a decision maker but no meeting with them yet
    customer = a_customer(org.rep_a1, name="杭州云启网络科技有限公司")
    boss = a_contact(org.rep_a1, customer, name="陈总", deal_role=DealRole.DECISION_MAKER)
    deal = a_deal(org.rep_a1, customer, name="云桌面采购", budget="300000", expected_close_on="2026-12-31")
    actor = org.actor(org.rep_a1)
    for stage_name in ("需求确认", "方案报价"):
        for item in ChecklistItem.objects.filter(stage=stage_named(stage_name)):
            checklist_tick(actor=actor, deal_id=deal.pk, item_id=item.pk, ticked=True)
    deal_contact_set(actor=actor, deal_id=deal.pk, contact_id=boss.pk, role=DealRole.DECISION_MAKER)
    sign_in(page, "rep_a1")
    page.goto("/deals/")
    card = page.get_by_test_id("card-云桌面采购")

    # when the card is dragged to the next stage
    drag(page, card, page.get_by_test_id("column-需求确认"))

    # then it moves there
    expect(page.get_by_test_id("move-done")).to_contain_text("已推进到“需求确认”")
    expect(page.get_by_test_id("column-需求确认").get_by_test_id("card-云桌面采购")).to_be_visible()
    expect(page.get_by_test_id("count-需求确认")).to_contain_text("1")

    # when it is dragged on to 方案报价 without the meeting the stage requires
    drag(page, card, page.get_by_test_id("column-方案报价"))

    # then the move is refused with the missing item, and the card snaps back
    refusal = page.get_by_test_id("move-refused")
    expect(refusal.get_by_test_id("missing-items")).to_contain_text("与决策人有过会议或拜访")
    expect(page.get_by_test_id("column-需求确认").get_by_test_id("card-云桌面采购")).to_be_visible()
    refusal.get_by_role("button").click()
    assert Deal.objects.get(pk=deal.pk).stage.name == "需求确认"

    # when the rep logs a meeting with the decision maker on the customer's page and drags again
    page.goto(f"/customers/{customer.pk}/")
    form = page.get_by_test_id("activity-form")
    form.locator("select[name=kind]").select_option("meeting")
    form.locator("select[name=contact_id]").select_option(label="陈总")
    form.locator("textarea[name=content]").fill("方案沟通会，陈总确认预算与上线时间")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("方案沟通会")
    page.goto("/deals/")
    drag(page, page.get_by_test_id("card-云桌面采购"), page.get_by_test_id("column-方案报价"))

    # then it moves
    expect(page.get_by_test_id("move-done")).to_contain_text("已推进到“方案报价”")

    # when the deal is marked lost with a reason on its page
    page.goto(f"/deals/{deal.pk}/")
    lost = page.get_by_test_id("lost-form")
    lost.locator("select[name=reason_id]").select_option(label="竞品胜出")
    lost.locator("input[name=competitor]").fill("销售易")
    page.get_by_test_id("mark-lost").click()

    # then it is lost with its reason
    expect(page.get_by_test_id("deal-stage")).to_have_text("输单")
    expect(page.get_by_test_id("close-reason")).to_have_text("竞品胜出")
    expect(page.get_by_test_id("reopen")).to_be_visible()
