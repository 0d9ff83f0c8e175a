import datetime as dt

import pytest
import time_machine
from django.utils import translation

from conftest import Org
from crm.activities.selectors import ActivityFilters, activity_list, customer_timeline, tasks_due
from crm.activities.services import activity_create
from crm.core.errors import NotFound
from crm.customers.services import customer_delete, customer_update
from crm.customers.tests.factories import a_customer
from crm.identity.models import BuiltinRole, Role, User
from crm.identity.services import role_update

NOW = dt.datetime(2025, 3, 12, 2, 0, tzinfo=dt.UTC)  # 10:00 on 12 March in Shanghai
WEEK_AGO = NOW - dt.timedelta(days=7)


def test_tasks_due_from_planned_contacts_splits_the_owners_overdue_and_today(org: Org) -> None:
    # given, planned a week ago: rep_a1 contacts due two days ago, today and tomorrow,
    # and one settled; rep_a2 has one due today
    one = a_customer(org.rep_a1, name="客户甲")
    two = a_customer(org.rep_a1, name="客户乙")
    three = a_customer(org.rep_a1, name="客户丙")
    theirs = a_customer(org.rep_a2, name="客户丁")
    rep_a1 = org.actor(org.rep_a1)
    with time_machine.travel(WEEK_AGO, tick=False):
        overdue = activity_create(
            actor=rep_a1, values={"customer_id": one.pk, "content": "电话", "next_contact_on": "2025-03-10"}
        )
        today = activity_create(
            actor=rep_a1, values={"customer_id": two.pk, "content": "电话", "next_contact_on": "2025-03-12"}
        )
        activity_create(
            actor=rep_a1, values={"customer_id": three.pk, "content": "电话", "next_contact_on": "2025-03-13"}
        )
        activity_create(
            actor=org.actor(org.rep_a2),
            values={"customer_id": theirs.pk, "content": "电话", "next_contact_on": "2025-03-12"},
        )

    # when rep_a1 looks at what is due today
    with time_machine.travel(NOW, tick=False):
        due = tasks_due(viewer=rep_a1)

    # then only their own past and today's contacts appear, in the right group
    assert [t.source_activity_id for t in due.overdue] == [overdue.pk]
    assert [t.source_activity_id for t in due.today] == [today.pk]


def test_tasks_due_from_planned_contacts_uses_the_organisations_day_not_utc(org: Org) -> None:
    # given a contact planned for 12 March
    customer = a_customer(org.rep_a1)
    with time_machine.travel(WEEK_AGO, tick=False):
        planned = activity_create(
            actor=org.actor(org.rep_a1),
            values={"customer_id": customer.pk, "content": "电话", "next_contact_on": "2025-03-12"},
        )

    # when it is 00:30 on 12 March in Shanghai (still 11 March in UTC)
    with time_machine.travel(dt.datetime(2025, 3, 11, 16, 30, tzinfo=dt.UTC), tick=False):
        due = tasks_due(viewer=org.actor(org.rep_a1))

    # then it is due today
    assert ([t.source_activity_id for t in due.today], due.overdue) == ([planned.pk], [])


def test_tasks_due_from_planned_contacts_leaves_out_deleted_customers(org: Org) -> None:
    # given an overdue contact on a customer since deleted
    customer = a_customer(org.rep_a1)
    with time_machine.travel(WEEK_AGO, tick=False):
        activity_create(
            actor=org.actor(org.rep_a1),
            values={"customer_id": customer.pk, "content": "电话", "next_contact_on": "2025-03-10"},
        )
    customer_delete(actor=org.actor(org.rep_a1), customer_id=customer.pk)

    # when the rep looks at what is due
    with time_machine.travel(NOW, tick=False):
        due = tasks_due(viewer=org.actor(org.rep_a1))

    # then nothing is
    assert (due.overdue, due.today) == ([], [])


def test_customer_timeline_merges_follow_ups_and_changes_newest_first(org: Org) -> None:
    # given a customer created, then a call logged, then the grade changed, an hour apart
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        customer = a_customer(org.rep_a1, grade="B")
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        activity = activity_create(
            actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "content": "电话沟通预算"}
        )
    with time_machine.travel(NOW, tick=False):
        customer_update(actor=org.actor(org.rep_a1), customer_id=customer.pk, version=1, values={"grade": "A"})
    customer.refresh_from_db()

    # when the owner reads the timeline
    with translation.override("en"):
        timeline = customer_timeline(viewer=org.actor(org.rep_a1), customer=customer)

    # then the change, the call and the creation come newest first
    assert [(item.kind, item.at) for item in timeline] == [
        ("change", NOW),
        ("activity", NOW - dt.timedelta(hours=1)),
        ("change", NOW - dt.timedelta(hours=2)),
    ]
    assert timeline[0].changes == (("grade", "B · important", "A · key"),)
    assert timeline[1].activity == activity
    assert timeline[2].entry is not None
    assert timeline[2].entry.verb == "create"


def test_customer_timeline_masks_phone_changes_for_viewers_who_see_them_masked(org: Org) -> None:
    # given finance (sees all, masked) and a customer whose phone changed
    customer = a_customer(org.rep_a1, phone="13812345678")
    customer_update(actor=org.actor(org.rep_a1), customer_id=customer.pk, version=1, values={"phone": "13987654321"})
    customer.refresh_from_db()

    # when finance reads the timeline
    with translation.override("en"):
        timeline = customer_timeline(viewer=org.actor(org.finance), customer=customer)

    # then the change shows both numbers masked
    assert timeline[0].changes == (("phone", "138****5678", "139****4321"),)


def test_customer_timeline_refuses_a_viewer_who_cannot_see_the_customer(org: Org) -> None:
    # given a customer of rep_a1
    customer = a_customer(org.rep_a1)

    # when rep_b1 asks for its timeline
    # then it does not exist for them
    with pytest.raises(NotFound):
        customer_timeline(viewer=org.actor(org.rep_b1), customer=customer)


def test_activity_list_follows_the_customers_visibility(org: Org) -> None:
    # given follow-ups on customers of rep_a1 and rep_b1
    mine = a_customer(org.rep_a1)
    theirs = a_customer(org.rep_b1)
    on_mine = activity_create(actor=org.actor(org.rep_a1), values={"customer_id": mine.pk, "content": "电话"})
    on_theirs = activity_create(actor=org.actor(org.rep_b1), values={"customer_id": theirs.pk, "content": "电话"})

    # when each lists follow-ups
    def seen_by(user: object) -> list[int]:
        return [a.pk for a in activity_list(viewer=org.actor(user), filters=ActivityFilters())]  # type: ignore[arg-type]

    # then reps see those on their customers, the department manager both
    assert seen_by(org.rep_a1) == [on_mine.pk]
    assert seen_by(org.rep_b1) == [on_theirs.pk]
    assert sorted(seen_by(org.east_manager)) == sorted([on_mine.pk, on_theirs.pk])


def test_a_follow_up_on_a_customer_becomes_visible_to_a_team_mate_when_the_role_widens(org: Org) -> None:
    # given rep_a2's follow-up on their customer
    customer = a_customer(org.rep_a2)
    activity = activity_create(actor=org.actor(org.rep_a2), values={"customer_id": customer.pk, "content": "电话"})

    # when the rep role is widened to the own team
    role_update(actor=org.actor(org.admin), role_id=Role.objects.get(code=BuiltinRole.SALES_REP).pk, visibility="team")
    rep_a1 = User.objects.select_related("role").get(pk=org.rep_a1.pk)

    # then their team mate rep_a1 sees it
    assert [a.pk for a in activity_list(viewer=org.actor(rep_a1), filters=ActivityFilters())] == [activity.pk]


def test_timeline_names_the_people_an_owner_change_is_between(org: Org) -> None:
    # given a customer handed from 张伟 (rep_a1) to 李娜 (rep_a2) by their manager
    customer = a_customer(org.rep_a1)
    customer_update(
        actor=org.actor(org.east_a_manager), customer_id=customer.pk, version=1, values={"owner_id": org.rep_a2.pk}
    )
    customer.refresh_from_db()

    # when the manager reads the timeline
    timeline = customer_timeline(viewer=org.actor(org.east_a_manager), customer=customer)

    # then the owner change reads as names, not ids
    owner_changes = [row for item in timeline for row in item.changes if row[1] == "张伟"]
    assert [(old, new) for _label, old, new in owner_changes] == [("张伟", "李娜")]
