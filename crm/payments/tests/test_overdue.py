"""The overdue job: owners on the due date, managers after N days, once each, one notice per recipient."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Org
from crm.core.actors import system_actor
from crm.core.errors import PermissionDenied
from crm.notifications.models import Notification, NotificationKind
from crm.payments.models import PaymentSettings
from crm.payments.services.overdue import instalments_notify_overdue
from crm.payments.tasks import notify_overdue_instalments
from crm.payments.tests.conftest import TODAY
from crm.payments.tests.factories import a_contract, a_payment, a_plan

JOB = system_actor("notify_overdue_instalments")


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def notices() -> list[tuple[str, str, str]]:
    return list(
        Notification.objects.filter(kind=NotificationKind.INSTALMENT_OVERDUE)
        .order_by("recipient__username", "id")
        .values_list("recipient__username", "title", "body")
    )


def test_owner_is_told_once_on_the_due_date_with_one_notice(org: Org) -> None:
    # given two instalments of rep_a1 due today and one due tomorrow, and one paid instalment
    first = a_contract(org.rep_a1, number="HT-A")
    a_plan(first, ("60000.00", TODAY), ("40000.00", TODAY + dt.timedelta(days=1)))
    second = a_contract(org.rep_a1, number="HT-B")
    a_plan(second, ("50000.00", days_ago(2)), ("50000.00", TODAY))
    a_payment(second, "50000.00")

    # when the job runs twice
    summary = instalments_notify_overdue(actor=JOB, today=TODAY)
    again = instalments_notify_overdue(actor=JOB, today=TODAY)

    # then the owner got one notice listing both, and nobody was told twice
    assert (summary.owners_told, summary.managers_told, again.owners_told) == (1, 0, 0)
    assert notices() == [("rep_a1", "2 笔回款已到期或逾期", "HT-A #1、HT-B #2")]


def test_manager_is_told_after_the_configured_days(org: Org) -> None:
    # given instalments overdue by 7 and by 6 days, and managers told after 7 days
    PaymentSettings.objects.create(pk=1, manager_overdue_days=7)
    late = a_contract(org.rep_a1, number="HT-LATE", amount="50000.00")
    a_plan(late, ("50000.00", days_ago(7)))
    recent = a_contract(org.rep_b1, number="HT-RECENT", amount="50000.00")
    a_plan(recent, ("50000.00", days_ago(6)))

    # when the job runs
    summary = instalments_notify_overdue(actor=JOB, today=TODAY)

    # then both owners are told, and only the manager of the team with the 7-day one
    assert (summary.owners_told, summary.managers_told) == (2, 1)
    assert [row[0] for row in notices()] == ["east_a_manager", "rep_a1", "rep_b1"]
    assert notices()[0][1] == "你团队的 1 笔回款已逾期 7 天或更久"

    # and the next day the other team's manager is told: the nearest team above with a manager
    instalments_notify_overdue(actor=JOB, today=TODAY + dt.timedelta(days=1))
    assert [row[0] for row in notices()] == ["east_a_manager", "east_manager", "rep_a1", "rep_b1"]


def test_only_the_scheduler_runs_it_and_the_task_wraps_it(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", days_ago(1)))

    with pytest.raises(PermissionDenied):
        instalments_notify_overdue(actor=org.actor(org.admin))
    assert notify_overdue_instalments.call() == 1
    assert notify_overdue_instalments.call() == 0
