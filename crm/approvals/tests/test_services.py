"""Submitting, deciding, returning, withdrawing and delegating approvals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from conftest import Org
from crm.approvals.models import ApprovalRequest, Delegation, RequestStatus, SkipReason, StepStatus
from crm.approvals.selectors import approval_history, approval_open_for, approval_queue, may_view_target
from crm.approvals.services import (
    approval_approve,
    approval_reject,
    approval_return,
    approval_submit,
    approval_withdraw,
    delegation_cancel,
    delegation_set,
    flow_save,
    flow_step_add,
    flow_step_delete,
    flow_step_update,
)
from crm.approvals.tests.factories import (
    ADMIN,
    DECIDED,
    KIND,
    a_flow,
    a_record,
    chain_step,
    manager_step,
    role_step,
    steps_of,
    user_step,
)
from crm.audit.models import AuditEntry
from crm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.identity.models import BuiltinRole, Role, User
from crm.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


def role_id(code: str) -> int:
    return Role.objects.get(code=code).pk


def assignees(request: ApprovalRequest) -> list[list[str]]:
    """Per request step, the usernames that may decide it."""
    return [
        sorted(assignee.user.username for assignee in step.assignees.all())
        for step in request.steps.order_by("position")
    ]


def statuses(request: ApprovalRequest) -> list[str]:
    return list(request.steps.order_by("position").values_list("status", flat=True))


# Submitting ------------------------------------------------------------------------------------


def test_without_a_flow_the_record_is_approved_at_once_and_recorded(org: Org) -> None:
    # given a record kind nobody has defined a flow for
    record = a_record(org.rep_a1)

    # when its owner submits it
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # then it is approved at once, the record hears so, and its timeline says so
    assert request.status == RequestStatus.APPROVED
    assert request.decided_at is not None
    assert [(record.pk, "approved", "张伟")] == DECIDED
    entry = AuditEntry.objects.get(target_type="identity.apitoken", target_id=record.pk)
    assert entry.changes["approval"] == [None, "approved"]


def test_when_no_step_applies_the_record_is_approved_at_once(org: Org) -> None:
    # given a flow whose only step applies from 1,000,000 CNY
    a_flow(manager_step(conditions=[{"fact": "amount", "op": "gte", "value": "1000000"}]))
    record = a_record(org.rep_a1, amount=Decimal("999999.99"))

    # when a smaller record is submitted
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # then the step is skipped for its condition and the record is approved
    assert request.status == RequestStatus.APPROVED
    step = request.steps.get()
    assert (step.status, step.skip_reason) == (StepStatus.SKIPPED, SkipReason.CONDITION)
    assert [(record.pk, "approved", "张伟")] == DECIDED


def test_manager_step_goes_to_the_team_manager_who_is_notified(org: Org) -> None:
    # given a flow with one manager step
    a_flow(manager_step())
    record = a_record(org.rep_a1)

    # when a rep of 上海一组 submits
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # then the manager of 上海一组 decides it and has a notice linking to the record
    assert request.status == RequestStatus.PENDING
    assert assignees(request) == [["east_a_manager"]]
    notice = Notification.objects.get(recipient=org.east_a_manager)
    assert notice.kind == NotificationKind.APPROVAL_REQUESTED
    assert notice.url == f"/memos/{record.pk}/"
    assert "张伟" in notice.body
    assert approval_open_for(KIND, record.pk) == request
    assert DECIDED == []


def test_manager_step_skips_an_empty_team_and_the_submitter_himself(org: Org) -> None:
    # given a manager step
    a_flow(manager_step())

    # when a rep of 杭州组 (a team without a manager) and the manager of 上海一组 submit
    from_b = approval_submit(org.actor(org.rep_b1), kind=KIND, target=a_record(org.rep_b1))
    from_manager = approval_submit(org.actor(org.east_a_manager), kind=KIND, target=a_record(org.east_a_manager))

    # then both go up to the manager of 华东大区
    assert assignees(from_b) == [["east_manager"]]
    assert assignees(from_manager) == [["east_manager"]]


def test_manager_step_at_the_top_of_the_tree_is_skipped(org: Org) -> None:
    # given a manager step and the director, who manages the company itself
    a_flow(manager_step())

    # when the director submits
    request = approval_submit(org.actor(org.director), kind=KIND, target=a_record(org.director))

    # then nobody is above, the step is skipped with its reason, and the record is approved
    step = request.steps.get()
    assert (step.status, step.skip_reason) == (StepStatus.SKIPPED, SkipReason.TOP_OF_TREE)
    assert request.status == RequestStatus.APPROVED


def test_manager_chain_becomes_one_sub_step_per_level_decided_in_order(org: Org) -> None:
    # given a flow asking three levels of managers
    a_flow(chain_step(3))
    record = a_record(org.rep_a1)

    # when a rep submits
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # then three sub-steps wait in order: team, department, company
    assert assignees(request) == [["east_a_manager"], ["east_manager"], ["director"]]
    assert statuses(request) == ["pending", "waiting", "waiting"]
    assert list(request.steps.order_by("position").values_list("level", flat=True)) == [1, 2, 3]
    # and the department manager cannot decide before the team manager has
    with pytest.raises(PermissionDenied):
        approval_approve(org.actor(org.east_manager), request.pk)

    # when each level approves in turn
    approval_approve(org.actor(org.east_a_manager), request.pk)
    assert statuses(request) == ["approved", "pending", "waiting"]
    assert (
        Notification.objects.filter(recipient=org.east_manager, kind=NotificationKind.APPROVAL_REQUESTED).count() == 1
    )
    approval_approve(org.actor(org.east_manager), request.pk)
    approval_approve(org.actor(org.director), request.pk, comment="同意")

    # then the record is approved and the submitter told
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert [(record.pk, "approved", "director")] == DECIDED
    outcome = Notification.objects.get(recipient=org.rep_a1, kind=NotificationKind.APPROVAL_DECIDED)
    assert "director" in outcome.body
    assert "同意" in outcome.body


def test_manager_chain_beyond_the_top_keeps_the_levels_that_exist(org: Org) -> None:
    # given five levels asked for but only three teams with managers above the rep
    a_flow(chain_step(5))

    # when a rep submits
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

    # then the three existing levels are the sub-steps
    assert assignees(request) == [["east_a_manager"], ["east_manager"], ["director"]]


def test_named_user_step(org: Org) -> None:
    # given a step for the finance user by name
    a_flow(user_step(org.finance, name="财务审核"))

    # when a rep submits
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

    # then only that user decides it
    assert assignees(request) == [["finance"]]
    assert request.steps.get().approver_label == "finance"


def test_named_user_step_for_the_submitter_himself_is_skipped(org: Org) -> None:
    # given a step naming the finance user, who submits a record of their own
    a_flow(user_step(org.finance))

    # when finance submits
    request = approval_submit(org.actor(org.finance), kind=KIND, target=a_record(org.finance))

    # then nobody approves their own request: the step is skipped and says why
    assert request.steps.get().skip_reason == SkipReason.SUBMITTER
    assert request.status == RequestStatus.APPROVED


def test_role_step_any_holder_decides_for_all(org: Org) -> None:
    # given a step for the sales manager role, held by two managers
    a_flow(role_step(role_id(BuiltinRole.SALES_MANAGER)))
    record = a_record(org.rep_a1)
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    assert assignees(request) == [["east_a_manager", "east_manager"]]

    # when one of them approves
    approval_approve(org.actor(org.east_manager), request.pk)

    # then the step and the approval are done, decided by that one
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.steps.get().decided_by == org.east_manager
    # and the other can no longer decide it
    with pytest.raises(Conflict):
        approval_approve(org.actor(org.east_a_manager), request.pk)


def test_role_nobody_holds_refuses_the_submission_naming_the_step(org: Org) -> None:
    # given a step for a role nobody holds
    a_flow(role_step(role_id(BuiltinRole.AFTER_SALES), name="售后确认"))
    record = a_record(org.rep_a1)

    # when the rep submits, then the submission is refused with the step's name
    with pytest.raises(ValidationFailed) as refused:
        approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    assert "售后确认" in refused.value.message
    assert not ApprovalRequest.objects.exists()


# Conditions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "facts", "applies"),
    [
        ({"fact": "amount", "op": "gte", "value": "1000000"}, {"amount": Decimal("1000000.00")}, True),
        ({"fact": "amount", "op": "gte", "value": "1000000"}, {"amount": Decimal("999999.99")}, False),
        ({"fact": "discount_percent", "op": "gt", "value": "15"}, {"discount_percent": Decimal("15.00")}, False),
        ({"fact": "discount_percent", "op": "gt", "value": "15"}, {"discount_percent": Decimal("15.01")}, True),
        ({"fact": "amount", "op": "lt", "value": "50000"}, {"amount": Decimal("49999")}, True),
        ({"fact": "amount", "op": "lte", "value": "50000"}, {"amount": Decimal("50000")}, True),
        ({"fact": "currency", "op": "eq", "value": "CNY"}, {"currency": "USD"}, False),
        ({"fact": "customer_grade", "op": "in", "value": "A, B"}, {"customer_grade": "A"}, True),
        ({"fact": "customer_grade", "op": "in", "value": "A"}, {"customer_grade": "C"}, False),
    ],
)
def test_step_conditions_decide_whether_the_step_applies(
    org: Org, condition: dict[str, str], facts: dict[str, Any], applies: bool
) -> None:
    # given a flow with a director step under one condition
    a_flow(user_step(org.director, name="总监审批", conditions=[condition]))

    # when a record with these facts is submitted
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1, **facts))

    # then the step applies (and waits) or is skipped
    assert statuses(request) == (["pending"] if applies else ["skipped"])


def test_all_conditions_of_a_step_must_hold(org: Org) -> None:
    # given "amount ≥ 1,000,000 and currency = CNY"
    both = [
        {"fact": "amount", "op": "gte", "value": "1000000"},
        {"fact": "currency", "op": "eq", "value": "CNY"},
    ]
    a_flow(manager_step(), user_step(org.director, name="总监审批", conditions=both))

    # when a large USD record and a large CNY record are submitted
    usd = approval_submit(
        org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1, amount=Decimal(2000000), currency="USD")
    )
    cny = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1, amount=Decimal(2000000)))

    # then only the CNY one needs the director
    assert statuses(usd) == ["pending", "skipped"]
    assert statuses(cny) == ["pending", "waiting"]
    assert cny.facts["amount"] == "2000000"


def test_a_condition_on_a_fact_the_kind_does_not_supply_is_refused(org: Org) -> None:
    # given a flow
    a_flow()

    # when an administrator adds a step testing an unknown fact, then it is refused on "conditions"
    with pytest.raises(ValidationFailed) as refused:
        flow_step_add(ADMIN, kind=KIND, values=manager_step(conditions=[{"fact": "colour", "op": "eq", "value": "x"}]))
    assert [error.field for error in refused.value.errors] == ["conditions"]


# Rejecting, returning, withdrawing -------------------------------------------------------------


def test_reject_needs_a_comment_naming_the_field(org: Org) -> None:
    # given a running approval
    a_flow(manager_step())
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

    # when the manager rejects without saying why, then the refusal names "comment"
    with pytest.raises(ValidationFailed) as refused:
        approval_reject(org.actor(org.east_a_manager), request.pk, comment="  ")
    assert [error.field for error in refused.value.errors] == ["comment"]
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_reject_ends_the_approval_and_cancels_later_steps(org: Org) -> None:
    # given a two-step approval
    a_flow(manager_step(), user_step(org.director, name="总监审批"))
    record = a_record(org.rep_a1)
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # when the first approver rejects with a reason
    approval_reject(org.actor(org.east_a_manager), request.pk, comment="价格低于底价")

    # then the approval is rejected, the director is never asked, and the submitter is told why
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert statuses(request) == ["rejected", "cancelled"]
    assert request.steps.get(position=1).comment == "价格低于底价"
    assert [(record.pk, "rejected", "east_a_manager")] == DECIDED
    notice = Notification.objects.get(recipient=org.rep_a1, kind=NotificationKind.APPROVAL_DECIDED)
    assert "价格低于底价" in notice.body
    assert not Notification.objects.filter(recipient=org.director).exists()
    entry = AuditEntry.objects.filter(target_type="identity.apitoken", target_id=record.pk).first()
    assert entry is not None
    assert entry.changes == {
        "approval": ["pending", "rejected"],
        "approval_step": "部门经理",
        "comment": "价格低于底价",
        "by": "east_a_manager",
    }


def test_return_sends_it_back_and_the_submitter_may_submit_again(org: Org) -> None:
    # given a running approval
    a_flow(manager_step())
    record = a_record(org.rep_a1)
    first = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # when the manager returns it for changes
    with pytest.raises(ValidationFailed):
        approval_return(org.actor(org.east_a_manager), first.pk, comment="")
    approval_return(org.actor(org.east_a_manager), first.pk, comment="请补充付款条款")

    # then the record hears "returned" and its owner can submit it again
    assert [(record.pk, "returned", "east_a_manager")] == DECIDED
    second = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    assert second.status == RequestStatus.PENDING
    assert [r.status for r in approval_history(KIND, record.pk)] == ["pending", "returned"]


def test_only_the_submitter_withdraws(org: Org) -> None:
    # given a running approval
    a_flow(manager_step())
    record = a_record(org.rep_a1)
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # when the approver tries to withdraw it, then that is refused
    with pytest.raises(PermissionDenied):
        approval_withdraw(org.actor(org.east_a_manager), request.pk)

    # when the submitter withdraws it
    approval_withdraw(org.actor(org.rep_a1), request.pk)

    # then it is over, the approver is told, and it is off their queue
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    assert statuses(request) == ["cancelled"]
    assert [(record.pk, "withdrawn", "张伟")] == DECIDED
    assert (
        Notification.objects.filter(recipient=org.east_a_manager, kind=NotificationKind.APPROVAL_DECIDED).count() == 1
    )
    assert list(approval_queue(org.east_a_manager)) == []
    with pytest.raises(Conflict):
        approval_approve(org.actor(org.east_a_manager), request.pk)


def test_a_record_runs_one_approval_at_a_time(org: Org) -> None:
    # given a running approval
    a_flow(manager_step())
    record = a_record(org.rep_a1)
    approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # when it is submitted again, then that is a conflict
    with pytest.raises(Conflict):
        approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    assert ApprovalRequest.objects.count() == 1


# Permissions -----------------------------------------------------------------------------------


def test_someone_who_cannot_see_the_record_gets_not_found(org: Org) -> None:
    # given a running approval of a rep's record
    a_flow(manager_step())
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

    # when a rep of another team tries to decide it, then it does not exist for them
    with pytest.raises(NotFound):
        approval_approve(org.actor(org.rep_n1), request.pk)
    with pytest.raises(NotFound):
        approval_reject(org.actor(org.rep_a2), request.pk, comment="不行")


def test_someone_who_sees_the_record_but_is_not_the_approver_is_refused(org: Org) -> None:
    # given a running approval waiting for the team manager
    a_flow(manager_step())
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

    # when the director (who sees everything) or the submitter tries to approve
    for user in (org.director, org.rep_a1):
        with pytest.raises(PermissionDenied) as refused:
            approval_approve(org.actor(user), request.pk)
        # then the refusal says why
        assert "审批人" in refused.value.message or "approver" in refused.value.message
    request.refresh_from_db()
    assert statuses(request) == ["pending"]


def test_only_someone_who_may_change_the_record_submits_it(org: Org) -> None:
    # given a rep's record
    a_flow(manager_step())
    record = a_record(org.rep_a1)

    # when another rep who cannot see it, or the manager who sees it, submits it
    with pytest.raises(NotFound):
        approval_submit(org.actor(org.rep_n1), kind=KIND, target=record)
    with pytest.raises(PermissionDenied):
        approval_submit(org.actor(org.east_a_manager), kind=KIND, target=record)


def test_an_unknown_kind_is_refused_naming_the_field(org: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        approval_submit(org.actor(org.rep_a1), kind="expense", target=a_record(org.rep_a1))
    assert [error.field for error in refused.value.errors] == ["kind"]


def test_approvers_may_view_the_record_they_decide(org: Org) -> None:
    # given a step for a user of another part of the tree who cannot otherwise see the record
    a_flow(user_step(org.rep_n1, name="北京复核"))
    record = a_record(org.rep_a1)

    # before anything is submitted they may not view it
    assert not may_view_target(org.rep_n1, KIND, record.pk)

    # when it is submitted
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # then they may view it, decide it, and still view it afterwards; an uninvolved rep may not
    assert may_view_target(org.rep_n1, KIND, record.pk)
    approval_approve(org.actor(org.rep_n1), request.pk)
    assert may_view_target(org.rep_n1, KIND, record.pk)
    assert not may_view_target(org.rep_b1, KIND, record.pk)


# Delegation ------------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC), tick=False)
def test_a_delegate_receives_and_decides_while_the_approver_is_away(org: Org) -> None:
    # given the team manager away 2–6 June with 华东大区's manager standing in
    a_flow(manager_step())
    delegation_set(
        org.actor(org.east_a_manager),
        delegate_id=org.east_manager.pk,
        starts_on=dt.date(2025, 6, 2),
        ends_on=dt.date(2025, 6, 6),
    )
    record = a_record(org.rep_a1)

    # when a rep submits
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # then the delegate is notified and has it in their queue
    assert Notification.objects.filter(recipient=org.east_manager, kind=NotificationKind.APPROVAL_REQUESTED).exists()
    assert list(approval_queue(org.east_manager)) == [request]
    assert list(approval_queue(org.east_a_manager)) == [request]

    # when the delegate approves
    approval_approve(org.actor(org.east_manager), request.pk, comment="代批")

    # then it is recorded as "X for Y"
    step = request.steps.get()
    assert (step.decided_by, step.on_behalf_of) == (org.east_manager, org.east_a_manager)
    entry = AuditEntry.objects.filter(target_type="identity.apitoken", target_id=record.pk).first()
    assert entry is not None
    assert entry.changes["by"] == "east_manager 代 east_a_manager"


def test_a_delegate_outside_the_dates_may_not_decide(org: Org) -> None:
    # given a delegation that starts next week
    a_flow(manager_step())
    with time_machine.travel(dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        delegation_set(
            org.actor(org.east_a_manager),
            delegate_id=org.rep_a2.pk,
            starts_on=dt.date(2025, 6, 9),
            ends_on=dt.date(2025, 6, 13),
        )
        request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

        # when the future delegate tries to decide today, then it is not theirs to see
        assert list(approval_queue(org.rep_a2)) == []
        with pytest.raises(NotFound):
            approval_approve(org.actor(org.rep_a2), request.pk)

    # when the week comes, then it is theirs
    with time_machine.travel(dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        assert list(approval_queue(org.rep_a2)) == [request]
        approval_approve(org.actor(org.rep_a2), request.pk)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_delegation_refusals_name_their_fields(org: Org) -> None:
    actor = org.actor(org.east_a_manager)
    with time_machine.travel(dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        with pytest.raises(ValidationFailed) as to_self:
            delegation_set(
                actor, delegate_id=org.east_a_manager.pk, starts_on=dt.date(2025, 6, 2), ends_on=dt.date(2025, 6, 3)
            )
        assert [e.field for e in to_self.value.errors] == ["delegate"]
        with pytest.raises(ValidationFailed) as backwards:
            delegation_set(actor, delegate_id=org.rep_a2.pk, starts_on=dt.date(2025, 6, 5), ends_on=dt.date(2025, 6, 3))
        assert [e.field for e in backwards.value.errors] == ["ends_on"]
        delegation_set(actor, delegate_id=org.rep_a2.pk, starts_on=dt.date(2025, 6, 2), ends_on=dt.date(2025, 6, 6))
        with pytest.raises(ValidationFailed) as overlapping:
            delegation_set(actor, delegate_id=org.rep_b1.pk, starts_on=dt.date(2025, 6, 6), ends_on=dt.date(2025, 6, 8))
        assert [e.field for e in overlapping.value.errors] == ["starts_on"]


def test_cancelling_a_delegation_takes_the_queue_back(org: Org) -> None:
    # given a running approval and a delegate for today
    a_flow(manager_step())
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))
    from crm.core.clock import today

    delegation = delegation_set(
        org.actor(org.east_a_manager), delegate_id=org.rep_a2.pk, starts_on=today(), ends_on=today()
    )
    assert list(approval_queue(org.rep_a2)) == [request]

    # when someone else tries to cancel it, then it is not found; when the manager cancels it, it is gone
    with pytest.raises(NotFound):
        delegation_cancel(org.actor(org.rep_a2), delegation_id=delegation.pk)
    delegation_cancel(org.actor(org.east_a_manager), delegation_id=delegation.pk)
    assert not Delegation.objects.exists()
    assert list(approval_queue(org.rep_a2)) == []


# Flow changes during a running approval -------------------------------------------------------


def test_editing_the_flow_does_not_change_a_running_approval(org: Org) -> None:
    # given an approval running under "manager, then director from 1,000,000"
    flow = a_flow(
        manager_step(),
        user_step(org.director, name="总监审批", conditions=[{"fact": "amount", "op": "gte", "value": "1000000"}]),
    )
    record = a_record(org.rep_a1, amount=Decimal(1500000))
    running = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)
    flow.refresh_from_db()
    assert running.flow_version == flow.version

    # when the administrator drops the manager step, raises the threshold and adds a finance step
    manager, director = steps_of(flow)
    flow_step_delete(ADMIN, step_id=manager.pk)
    flow_step_update(
        ADMIN,
        step_id=director.pk,
        values=user_step(
            org.director, name="总监审批", conditions=[{"fact": "amount", "op": "gte", "value": "5000000"}]
        ),
    )
    flow_step_add(ADMIN, kind=KIND, values=user_step(org.finance, name="财务审核"))

    # then the running approval keeps its own steps and approvers and finishes as submitted
    running.refresh_from_db()
    assert [s.name for s in running.steps.order_by("position")] == ["部门经理", "总监审批"]
    assert assignees(running) == [["east_a_manager"], ["director"]]
    approval_approve(org.actor(org.east_a_manager), running.pk)
    approval_approve(org.actor(org.director), running.pk)
    running.refresh_from_db()
    assert running.status == RequestStatus.APPROVED
    assert not Notification.objects.filter(recipient=org.finance).exists()

    # and a new submission follows the edited flow
    fresh = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1, amount=Decimal(1500000)))
    assert [s.name for s in fresh.steps.order_by("position")] == ["总监审批", "财务审核"]
    assert statuses(fresh) == ["skipped", "pending"]
    flow.refresh_from_db()
    assert fresh.flow_version == flow.version > running.flow_version


def test_switching_the_flow_off_approves_new_submissions_at_once(org: Org) -> None:
    # given a flow that an administrator switches off
    a_flow(manager_step())
    flow_save(ADMIN, kind=KIND, name="合同审批", is_active=False)

    # when a record is submitted, then no step applies
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))
    assert request.status == RequestStatus.APPROVED
    assert request.flow is None


def test_only_administrators_edit_flows(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        flow_save(org.actor(org.director), kind=KIND, name="合同审批")
    flow_save(org.actor(org.admin), kind=KIND, name="合同审批")
    with pytest.raises(PermissionDenied):
        flow_step_add(org.actor(org.east_manager), kind=KIND, values=manager_step())


def test_step_fields_are_checked_all_at_once(org: Org) -> None:
    a_flow()
    with pytest.raises(ValidationFailed) as refused:
        flow_step_add(ADMIN, kind=KIND, values={"name": "", "approver_kind": "user", "approver_user_id": 0})
    assert sorted(e.field for e in refused.value.errors) == ["approver_user", "name"]
    with pytest.raises(ValidationFailed) as levels:
        flow_step_add(ADMIN, kind=KIND, values=chain_step(9))
    assert [e.field for e in levels.value.errors] == ["levels"]


def test_an_inactive_named_approver_refuses_the_submission(org: Org) -> None:
    # given a step naming finance, who then leaves
    a_flow(user_step(org.finance, name="财务审核"))
    User.objects.filter(pk=org.finance.pk).update(is_active=False)

    # when a rep submits, then it is refused naming the step
    with pytest.raises(ValidationFailed) as refused:
        approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))
    assert "财务审核" in refused.value.message
