"""`Customer.last_follow_up_at` follows every write to follow-ups, and a new follow-up clears neglect."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from conftest import Org
from crm.activities.models import Activity
from crm.activities.services import (
    activity_create,
    activity_delete,
    activity_restore,
    activity_update,
    last_follow_ups_refresh,
)
from crm.audit.models import AuditEntry, Verb
from crm.core.actors import system_actor
from crm.core.errors import NotFound, PermissionDenied
from crm.customers.merging import merge_undo, records_merge
from crm.customers.models import Customer
from crm.customers.neglect import customers_flag_neglected
from crm.customers.tests.factories import a_customer

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def at(days: float) -> dt.datetime:
    return START + dt.timedelta(days=days)


def log(org: Org, customer: Customer, days: float, content: str = "电话回访") -> Activity:
    with time_machine.travel(at(days), tick=False):
        return activity_create(actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "content": content})


def last(customer: Customer) -> dt.datetime | None:
    return Customer.all_objects.get(pk=customer.pk).last_follow_up_at


def neglected(customer: Customer) -> dt.datetime | None:
    return Customer.all_objects.get(pk=customer.pk).neglected_since


def check(days: float) -> None:
    with time_machine.travel(at(days), tick=False):
        customers_flag_neglected(actor=system_actor("flag_neglected_customers"))


def grade_a_customer(org: Org, name: str = "华信科技") -> Customer:
    with time_machine.travel(START, tick=False):
        return a_customer(org.rep_a1, name=name, grade="A")


def test_logging_a_follow_up_sets_the_time_and_clears_the_flag_at_once(org: Org) -> None:
    # given a grade-A customer (7 days) flagged on day 8
    customer = grade_a_customer(org)
    check(8)
    assert neglected(customer) == at(8)
    # when the rep logs a follow-up on day 9
    log(org, customer, 9)
    # then the customer's last follow-up is day 9 and the flag is gone before the next check
    assert last(customer) == at(9)
    assert neglected(customer) is None


def test_a_backdated_follow_up_does_not_move_the_last_follow_up_back(org: Org) -> None:
    customer = grade_a_customer(org)
    log(org, customer, 5)
    with time_machine.travel(at(6), tick=False):
        activity_create(
            actor=org.actor(org.rep_a1),
            values={"customer_id": customer.pk, "content": "补录上月拜访", "occurred_at": at(1).isoformat()},
        )
    assert last(customer) == at(5)


def test_re_dating_a_follow_up_moves_the_last_follow_up(org: Org) -> None:
    customer = grade_a_customer(org)
    activity = log(org, customer, 5)
    with time_machine.travel(at(6), tick=False):
        activity_update(
            actor=org.actor(org.rep_a1),
            activity_id=activity.pk,
            version=activity.version,
            values={"occurred_at": at(2).isoformat()},
        )
    assert last(customer) == at(2)


def test_deleting_the_latest_follow_up_falls_back_and_restoring_it_clears_the_flag_again(org: Org) -> None:
    # given follow-ups on day 1 and day 9, and the check on day 10 finds nothing to flag
    customer = grade_a_customer(org)
    log(org, customer, 1, "初次拜访")
    latest = log(org, customer, 9, "方案演示")
    check(10)
    assert neglected(customer) is None
    # when the day-9 follow-up is deleted on day 10
    with time_machine.travel(at(10), tick=False):
        activity_delete(actor=org.actor(org.rep_a1), activity_id=latest.pk)
    # then the last follow-up is day 1 again and the customer (quiet for 9 days) is flagged
    assert last(customer) == at(1)
    assert neglected(customer) == at(10)
    # when it is restored, the last follow-up is day 9 again and the flag is gone; the restore is audited
    with time_machine.travel(at(11), tick=False):
        activity_restore(actor=org.actor(org.rep_a1), activity_id=latest.pk)
    assert last(customer) == at(9)
    assert neglected(customer) is None
    assert AuditEntry.objects.filter(verb=Verb.RESTORE, target_type="activities.activity", target_id=latest.pk).exists()


def test_deleting_the_only_follow_up_leaves_no_last_follow_up(org: Org) -> None:
    customer = grade_a_customer(org)
    only = log(org, customer, 2)
    with time_machine.travel(at(3), tick=False):
        activity_delete(actor=org.actor(org.rep_a1), activity_id=only.pk)
    assert last(customer) is None


def test_restoring_needs_the_same_rights_and_a_deleted_follow_up(org: Org) -> None:
    customer = grade_a_customer(org)
    activity = log(org, customer, 2)
    with pytest.raises(NotFound):
        activity_restore(actor=org.actor(org.rep_a1), activity_id=activity.pk)  # not deleted
    activity_delete(actor=org.actor(org.rep_a1), activity_id=activity.pk)
    with pytest.raises(NotFound):
        activity_restore(actor=org.actor(org.rep_b1), activity_id=activity.pk)  # cannot see the customer
    with pytest.raises(PermissionDenied):
        activity_restore(actor=org.actor(org.finance), activity_id=activity.pk)  # sees it, may not change it
    assert last(customer) is None


def test_merging_customers_keeps_the_later_follow_up_and_undoing_recomputes_both(
    org: Org, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    settings.TASKS = IMMEDIATE  # type: ignore[attr-defined]
    survivor = grade_a_customer(org, "北京字节跳动科技有限公司")
    loser = grade_a_customer(org, "字节跳动(北京)科技有限公司")
    log(org, survivor, 2)
    log(org, loser, 6)
    # when the two are merged, the survivor's last follow-up is the later one, at once
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        merge = records_merge(
            actor=org.actor(org.rep_a1),
            object_type="customers",
            survivor_id=survivor.pk,
            loser_id=loser.pk,
            survivor_version=Customer.objects.get(pk=survivor.pk).version,
            loser_version=Customer.objects.get(pk=loser.pk).version,
        )
    assert (last(survivor), last(loser)) == (at(6), None)
    # when the merge is undone, each gets its own follow-ups' time back (recomputed after commit)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        merge_undo(actor=org.actor(org.rep_a1), merge_id=merge.pk)
    assert (last(survivor), last(loser)) == (at(2), at(6))


def test_a_bulk_refresh_sets_every_customer_from_its_live_follow_ups(org: Org) -> None:
    # given follow-ups inserted past the services (as bulk loads do), one of them deleted
    first = grade_a_customer(org, "甲")
    second = grade_a_customer(org, "乙")
    Activity.objects.bulk_create(
        [
            Activity(customer=first, content="a", occurred_at=at(3), owner=org.rep_a1),
            Activity(customer=first, content="b", occurred_at=at(4), owner=org.rep_a1, deleted_at=at(5)),
            Activity(customer=second, content="c", occurred_at=at(1), owner=org.rep_a1),
        ]
    )
    # when every customer is refreshed
    last_follow_ups_refresh()
    # then each has its latest live follow-up
    assert (last(first), last(second)) == (at(3), at(1))
