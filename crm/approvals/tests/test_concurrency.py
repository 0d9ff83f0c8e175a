"""Two approvers deciding the same step at the same moment: one decides, the other gets a Conflict."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection

from conftest import Org, ensure_builtin_roles
from crm.approvals.models import ApprovalRequest, RequestStatus, StepStatus
from crm.approvals.services import approval_approve, approval_reject, approval_submit
from crm.approvals.tests.factories import DECIDED, KIND, a_flow, a_record, role_step
from crm.core.errors import Conflict
from crm.identity.models import BuiltinRole, Role, User


def _race(org: Org, decisions: list[tuple[User, Callable[..., object]]], request_id: int) -> list[str]:
    barrier = threading.Barrier(len(decisions))
    outcomes: list[str] = []

    def decide(user: User, service: Callable[..., object]) -> None:
        try:
            barrier.wait()
            for _attempt in range(500):
                try:
                    # Both looked at step 1; a decision must not slide onto the step after it.
                    if service is approval_reject:
                        service(org.actor(user), request_id, comment="预算不足", step=1)
                    else:
                        service(org.actor(user), request_id, step=1)
                    outcomes.append("decided")
                    return
                except OperationalError as exc:
                    # The in-memory SQLite test database fails a busy lock at once ("table is locked")
                    # where PostgreSQL waits for the row lock; each decision is one transaction, so
                    # trying it again is what waiting does.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=pair) for pair in decisions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_approvers_approving_at_once_advance_the_step_once(org: Org) -> None:
    # given a step any sales manager may decide, and a two-step flow so a double advance would show
    ensure_builtin_roles()
    managers = Role.objects.get(code=BuiltinRole.SALES_MANAGER).pk
    a_flow(role_step(managers, name="经理审批"), role_step(managers, name="经理复核"))
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=a_record(org.rep_a1))

    # when both managers approve the first step at the same moment
    outcomes = _race(org, [(org.east_manager, approval_approve), (org.east_a_manager, approval_approve)], request.pk)

    # then one approval counted and the other was told someone came first
    assert outcomes == ["conflict", "decided"]
    steps = list(ApprovalRequest.objects.get(pk=request.pk).steps.order_by("position"))
    assert [step.status for step in steps] == [StepStatus.APPROVED, StepStatus.PENDING]
    assert ApprovalRequest.objects.get(pk=request.pk).current_position == 2


@pytest.mark.django_db(transaction=True)
def test_an_approve_and_a_reject_at_once_leave_one_outcome(org: Org) -> None:
    # given a one-step approval two managers may decide
    ensure_builtin_roles()
    a_flow(role_step(Role.objects.get(code=BuiltinRole.SALES_MANAGER).pk, name="经理审批"))
    record = a_record(org.rep_a1)
    request = approval_submit(org.actor(org.rep_a1), kind=KIND, target=record)

    # when one approves while the other rejects
    outcomes = _race(org, [(org.east_manager, approval_approve), (org.east_a_manager, approval_reject)], request.pk)

    # then exactly one decision stands and the record heard exactly one outcome
    assert outcomes == ["conflict", "decided"]
    final = ApprovalRequest.objects.get(pk=request.pk)
    assert final.status in (RequestStatus.APPROVED, RequestStatus.REJECTED)
    assert [outcome for pk, outcome, _ in DECIDED if pk == record.pk] == [final.status]
