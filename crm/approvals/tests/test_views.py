"""The queue page, the record panel (htmx), decisions from the web, delegation and the flow editor."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Org
from crm.approvals.models import ApprovalFlow, Delegation, RequestStatus
from crm.approvals.services import approval_submit
from crm.approvals.tests.factories import KIND, a_flow, a_record, manager_step, steps_of, user_step
from crm.core.clock import today
from crm.identity.models import User

HTMX = {"HX-Request": "true"}


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_queue_lists_what_waits_and_the_nav_badge_counts_it(org: Org, client: Client) -> None:
    # given two approvals waiting for the team manager
    a_flow(manager_step())
    for title in ("华东电力 服务器采购合同", "星河科技 云桌面续约"):
        approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1, title=title))
    signed_in(client, org.east_a_manager)

    # when the manager opens the queue and the badge loads
    page = client.get("/approvals/")
    badge = client.get("/approvals/badge/")

    # then both are listed, oldest first, with the nav link, and the badge says 2
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("华东电力 服务器采购合同") < html.index("星河科技 云桌面续约")
    assert 'data-testid="nav-approvals"' in html
    assert 'data-testid="approval-count"' in badge.content.decode()
    assert ">2<" in badge.content.decode()
    # and someone with nothing waiting sees an empty queue and no badge
    signed_in(client, org.rep_b1)
    assert 'data-testid="queue-empty"' in client.get("/approvals/").content.decode()
    assert "approval-count" not in client.get("/approvals/badge/").content.decode()


def test_queue_page_queries_do_not_grow_with_rows(org: Org, client: Client) -> None:
    a_flow(manager_step())
    approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))
    signed_in(client, org.east_a_manager)
    client.get("/approvals/")
    with CaptureQueriesContext(connection) as few:
        client.get("/approvals/")
    for number in range(4):
        approval_submit(org.actor(org.rep_a2), kind=KIND, target=a_record(org.rep_a2, title=f"合同 {number}"))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/approvals/")
    assert response.content.decode().count('data-testid="queue-row"') == 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_panel_shows_buttons_to_the_approver_and_withdraw_to_the_submitter(org: Org, client: Client) -> None:
    # given a running approval
    a_flow(manager_step())
    record = a_record(org.rep_a1)
    approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    url = f"/approvals/panel/{KIND}/{record.pk}/"

    # when the approver loads the panel
    approver = signed_in(Client(), org.east_a_manager).get(url, headers=HTMX).content.decode()
    # and the submitter does
    submitter = signed_in(Client(), org.rep_a1).get(url, headers=HTMX).content.decode()

    # then each sees only their own buttons
    assert 'data-testid="approve"' in approver
    assert 'data-testid="withdraw"' not in approver
    assert 'data-testid="withdraw"' in submitter
    assert 'data-testid="approve"' not in submitter
    assert "部门经理" in approver
    # and a rep who may not see the record gets a 404
    assert signed_in(client, org.rep_n1).get(url, headers=HTMX).status_code == 404


def test_an_approver_who_cannot_see_the_record_still_gets_its_panel(org: Org, client: Client) -> None:
    a_flow(user_step(org.rep_n1, name="北京复核"))
    record = a_record(org.rep_a1)
    approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    response = signed_in(client, org.rep_n1).get(f"/approvals/panel/{KIND}/{record.pk}/", headers=HTMX)

    assert response.status_code == 200
    assert 'data-testid="approve"' in response.content.decode()


def test_approving_from_the_panel_swaps_in_the_new_state(org: Org, client: Client) -> None:
    # given a running approval
    a_flow(manager_step())
    record = a_record(org.rep_a1)
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    signed_in(client, org.east_a_manager)
    form = {"kind": KIND, "target_id": record.pk, "step": 1, "comment": "同意，注意回款节点"}

    # when the manager approves through htmx
    response = client.post(f"/approvals/{request.pk}/approve/", form, headers=HTMX)

    # then the panel comes back approved, with the comment, and the page is told to refresh
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="approval-{request.pk}" data-status="approved"' in html
    assert "同意，注意回款节点" in html
    assert response["HX-Trigger"] == "approval-changed"


def test_rejecting_without_a_comment_shows_the_reason_in_the_panel(org: Org, client: Client) -> None:
    a_flow(manager_step())
    record = a_record(org.rep_a1)
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    signed_in(client, org.east_a_manager)

    response = client.post(f"/approvals/{request.pk}/reject/", {"kind": KIND, "target_id": record.pk}, headers=HTMX)

    html = response.content.decode()
    assert 'data-testid="approval-error"' in html
    assert "请填写驳回原因。" in html
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_a_form_post_without_htmx_redirects_back_with_a_message(org: Org, client: Client) -> None:
    a_flow(manager_step())
    record = a_record(org.rep_a1)
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    signed_in(client, org.east_a_manager)

    response = client.post(f"/approvals/{request.pk}/return/", {"comment": "补充附件", "next": "/approvals/"})

    assert (response.status_code, response["Location"]) == (302, "/approvals/")
    request.refresh_from_db()
    assert request.status == RequestStatus.RETURNED


def test_request_detail_page_is_404_for_outsiders(org: Org, client: Client) -> None:
    a_flow(manager_step())
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1, title="华东电力 合同"))
    assert "华东电力 合同" in signed_in(Client(), org.east_a_manager).get(f"/approvals/{request.pk}/").content.decode()
    assert signed_in(client, org.rep_b1).get(f"/approvals/{request.pk}/").status_code == 404


def test_setting_a_delegate_from_the_queue_page(org: Org, client: Client) -> None:
    signed_in(client, org.east_a_manager)
    day = today().isoformat()

    response = client.post(
        "/approvals/delegation/", {"delegate": org.east_manager.pk, "starts_on": day, "ends_on": day}
    )

    assert response.status_code == 302
    assert list(Delegation.objects.values_list("user_id", "delegate_id")) == [
        (org.east_a_manager.pk, org.east_manager.pk)
    ]
    assert "east_manager" in client.get("/approvals/").content.decode()


def test_flow_editor_is_for_administrators(org: Org, client: Client) -> None:
    assert signed_in(Client(), org.director).get("/approvals/flows/").status_code == 403
    assert signed_in(Client(), org.rep_a1).get(f"/approvals/flows/{KIND}/").status_code == 403
    signed_in(client, org.admin)
    assert client.get("/approvals/flows/").status_code == 200
    assert client.get("/approvals/flows/expense/").status_code == 404


def test_administrator_builds_a_flow_with_a_conditional_step(org: Org, client: Client) -> None:
    signed_in(client, org.admin)

    # when the admin creates the flow and adds "director from 1,000,000"
    client.post(f"/approvals/flows/{KIND}/", {"form": "flow", "flow-name": "合同审批", "flow-is_active": "on"})
    client.post(
        f"/approvals/flows/{KIND}/",
        {
            "form": "add",
            "new-name": "总监审批",
            "new-approver_kind": "user",
            "new-approver_user": org.director.pk,
            "new-fact_1": "amount",
            "new-op_1": "gte",
            "new-value_1": "1,000,000",
        },
    )

    # then the flow holds the step and the page reads it back
    flow = ApprovalFlow.objects.get(kind=KIND)
    (step,) = steps_of(flow)
    assert (step.name, step.approver_user_id, step.conditions) == (
        "总监审批",
        org.director.pk,
        [{"fact": "amount", "op": "gte", "value": "1000000"}],
    )
    page = client.get(f"/approvals/flows/{KIND}/").content.decode()
    assert "金额 ≥ 1,000,000" in page


def test_a_bad_step_shows_its_field_errors(org: Org, client: Client) -> None:
    a_flow()
    signed_in(client, org.admin)

    response = client.post(
        f"/approvals/flows/{KIND}/",
        {
            "form": "add",
            "new-name": "财务",
            "new-approver_kind": "role",
            "new-fact_1": "amount",
            "new-op_1": "gt",
            "new-value_1": "很多",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="approver_role"' in html
    assert "“很多”不是数字。" in html
