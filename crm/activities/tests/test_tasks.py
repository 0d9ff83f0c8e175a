"""Tasks: who may plan what for whom, follow-ups that plan tasks, reminders, the digest and the feed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from icalendar import Calendar
from pytest_django import DjangoAssertNumQueries

from conftest import Org
from crm.activities.models import Task, TaskStatus
from crm.activities.selectors import TaskFilters, task_list, tasks_due
from crm.activities.services import (
    activity_create,
    activity_mark_done,
    activity_update,
    calendar_feed_reset,
    daily_digest_send,
    task_complete,
    task_create,
    task_delete,
    task_reminders_send,
    task_reopen,
    task_update,
)
from crm.activities.tasks import send_daily_digest, send_task_reminders
from crm.audit.models import AuditEntry
from crm.core.actors import api_actor, system_actor
from crm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.services import preference_set, token_create
from crm.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 12, 2, 0, tzinfo=dt.UTC)  # 10:00 on 12 March in Shanghai
TODAY = dt.date(2025, 3, 12)


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def fields_of(error: ValidationFailed) -> set[str]:
    return {e.field for e in error.errors}


# Planning and permissions ----------------------------------------------------------------------


def test_a_rep_plans_a_task_about_a_customer_and_it_is_audited(org: Org) -> None:
    customer = a_customer(org.rep_a1, name="宁波舜宇光学有限公司")
    contact = a_contact(org.rep_a1, customer, name="周敏")
    task = task_create(
        actor=org.actor(org.rep_a1),
        values={"title": "发送报价单", "due_on": "2025-03-14", "due_time": "15:30", "contact_id": contact.pk},
    )
    assert (task.owner_id, task.team_id, task.customer_id, task.contact_id) == (
        org.rep_a1.pk,
        org.east_a.pk,
        customer.pk,
        contact.pk,
    )
    assert (task.due_on, task.due_time) == (dt.date(2025, 3, 14), dt.time(15, 30))
    entry = AuditEntry.objects.get(target_type="activities.task", target_id=task.pk)
    assert entry.changes["title"] == [None, "发送报价单"]


def test_bad_input_names_every_field(org: Org) -> None:
    with pytest.raises(ValidationFailed) as caught:
        task_create(
            actor=org.actor(org.rep_a1),
            values={"title": " ", "due_on": "下周", "due_time": "25:99", "remind_at": "明天早上"},
        )
    assert fields_of(caught.value) == {"title", "due_on", "due_time", "remind_at"}
    assert Task.objects.count() == 0


def test_a_rep_cannot_give_a_task_to_a_colleague_but_a_manager_can(org: Org) -> None:
    values = {"title": "拜访客户", "due_on": "2025-03-14", "owner_id": org.rep_a2.pk}
    with pytest.raises(ValidationFailed) as caught:
        task_create(actor=org.actor(org.rep_a1), values=values)
    assert fields_of(caught.value) == {"owner"}
    task = task_create(actor=org.actor(org.east_a_manager), values=values)
    assert (task.owner_id, task.created_by_id) == (org.rep_a2.pk, org.east_a_manager.pk)
    # and a manager of another team cannot
    with pytest.raises(ValidationFailed):
        task_create(actor=org.actor(org.rep_n1), values={**values, "owner_id": org.rep_a1.pk})


def test_a_task_about_a_hidden_customer_is_refused(org: Org) -> None:
    hidden = a_customer(org.rep_n1, name="北京京东方科技集团股份有限公司")
    with pytest.raises(ValidationFailed) as caught:
        task_create(
            actor=org.actor(org.rep_a1), values={"title": "回访", "due_on": "2025-03-14", "customer_id": hidden.pk}
        )
    assert fields_of(caught.value) == {"customer"}


def test_a_contact_of_another_customer_is_refused(org: Org) -> None:
    one = a_customer(org.rep_a1, name="客户甲")
    other = a_customer(org.rep_a1, name="客户乙")
    contact = a_contact(org.rep_a1, other, name="王强")
    with pytest.raises(ValidationFailed) as caught:
        task_create(
            actor=org.actor(org.rep_a1),
            values={"title": "回访", "due_on": "2025-03-14", "customer_id": one.pk, "contact_id": contact.pk},
        )
    assert fields_of(caught.value) == {"contact"}


def test_colleagues_cannot_see_or_change_a_reps_task_but_their_manager_can(org: Org) -> None:
    task = task_create(actor=org.actor(org.rep_a1), values={"title": "整理客户资料", "due_on": "2025-03-14"})
    with pytest.raises(NotFound):
        task_complete(actor=org.actor(org.rep_a2), task_id=task.pk)
    assert list(task_list(viewer=org.actor(org.rep_a2), filters=TaskFilters())) == []
    assert list(task_list(viewer=org.actor(org.east_a_manager), filters=TaskFilters())) == [task]
    assert task_complete(actor=org.actor(org.east_a_manager), task_id=task.pk).status == TaskStatus.DONE


def test_finance_sees_tasks_but_may_not_change_them(org: Org) -> None:
    task = task_create(actor=org.actor(org.rep_a1), values={"title": "催收首付款", "due_on": "2025-03-14"})
    assert list(task_list(viewer=org.actor(org.finance), filters=TaskFilters())) == [task]
    with pytest.raises(PermissionDenied):
        task_complete(actor=org.actor(org.finance), task_id=task.pk)


def test_editing_a_stale_version_is_a_conflict(org: Org) -> None:
    task = task_create(actor=org.actor(org.rep_a1), values={"title": "准备方案", "due_on": "2025-03-14"})
    task_update(actor=org.actor(org.rep_a1), task_id=task.pk, version=1, values={"title": "准备方案 v2"})
    with pytest.raises(Conflict):
        task_update(actor=org.actor(org.east_a_manager), task_id=task.pk, version=1, values={"due_on": "2025-03-20"})
    task.refresh_from_db()
    assert (task.title, task.due_on, task.version) == ("准备方案 v2", dt.date(2025, 3, 14), 2)


def test_complete_reopen_and_delete(org: Org) -> None:
    actor = org.actor(org.rep_a1)
    task = task_create(actor=actor, values={"title": "寄送样品", "due_on": "2025-03-14"})
    assert task_complete(actor=actor, task_id=task.pk).done_at is not None
    reopened = task_reopen(actor=actor, task_id=task.pk)
    assert (reopened.status, reopened.done_at) == (TaskStatus.OPEN, None)
    task_delete(actor=actor, task_id=task.pk)
    assert not Task.objects.filter(pk=task.pk).exists()
    assert Task.all_objects.get(pk=task.pk).deleted_at is not None
    verbs = list(
        AuditEntry.objects.filter(target_id=task.pk, target_type="activities.task")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["create", "update", "update", "delete"]


# Follow-ups plan tasks -------------------------------------------------------------------------


def test_a_follow_up_with_a_next_contact_date_plans_a_task_and_the_next_follow_up_settles_it(org: Org) -> None:
    customer = a_customer(org.rep_a1, name="苏州汇川技术有限公司")
    actor = org.actor(org.rep_a1)
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        planned = activity_create(
            actor=actor,
            values={
                "customer_id": customer.pk,
                "content": "电话沟通需求",
                "next_step": "发技术方案",
                "next_contact_on": TODAY,
            },
        )
    [task] = Task.objects.filter(source_activity=planned)
    assert (task.title, task.due_on, task.owner_id, task.customer_id) == (
        "发技术方案",
        TODAY,
        org.rep_a1.pk,
        customer.pk,
    )
    # when the rep logs today's follow-up, planning the one after
    with time_machine.travel(NOW, tick=False):
        following = activity_create(
            actor=actor,
            values={"customer_id": customer.pk, "content": "已发方案", "next_contact_on": "2025-03-19"},
        )
    # then the earlier task is done and a new one is planned
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert list(
        Task.objects.filter(source_activity=following, status=TaskStatus.OPEN).values_list("due_on", flat=True)
    ) == [dt.date(2025, 3, 19)]


def test_editing_or_settling_the_follow_up_keeps_its_task_in_line(org: Org) -> None:
    customer = a_customer(org.rep_a1)
    actor = org.actor(org.rep_a1)
    planned = activity_create(
        actor=actor, values={"customer_id": customer.pk, "content": "初次拜访", "next_contact_on": "2030-01-10"}
    )
    activity_update(actor=actor, activity_id=planned.pk, version=1, values={"next_contact_on": "2030-01-15"})
    assert list(Task.objects.filter(source_activity=planned).values_list("due_on", "status")) == [
        (dt.date(2030, 1, 15), TaskStatus.OPEN)
    ]
    activity_mark_done(actor=actor, activity_id=planned.pk)
    assert list(Task.objects.filter(source_activity=planned).values_list("status", flat=True)) == [TaskStatus.DONE]


def test_ticking_off_a_planned_task_settles_the_follow_up(org: Org) -> None:
    customer = a_customer(org.rep_a1)
    planned = activity_create(
        actor=org.actor(org.rep_a1),
        values={"customer_id": customer.pk, "content": "报价", "next_contact_on": "2030-01-10"},
    )
    task = Task.objects.get(source_activity=planned)
    task_complete(actor=org.actor(org.rep_a1), task_id=task.pk)
    planned.refresh_from_db()
    assert planned.is_next_contact_done is True


def test_tasks_of_a_customer_handed_away_leave_the_old_owners_lists(org: Org) -> None:
    customer = a_customer(org.rep_a1, name="合肥科大讯飞股份有限公司")
    task_create(
        actor=org.actor(org.rep_a1), values={"title": "回访", "due_on": "2020-01-01", "customer_id": customer.pk}
    )
    task_create(actor=org.actor(org.rep_a1), values={"title": "写周报", "due_on": "2020-01-01"})
    from crm.customers.services import customer_update

    customer_update(
        actor=system_actor("test"),
        customer_id=customer.pk,
        version=customer.version,
        values={"owner_id": org.rep_n1.pk},
    )
    due = tasks_due(viewer=org.actor(org.rep_a1))
    assert [t.title for t in due.overdue] == ["写周报"]


# Reminders and digest --------------------------------------------------------------------------


def test_a_reminder_rings_once_in_the_app_and_by_email(org: Org) -> None:
    # given a task with a reminder at 09:30 Shanghai time, and one without
    task = task_create(
        actor=org.actor(org.rep_a1),
        values={"title": "电话确认合同条款", "due_on": "2025-03-12", "remind_at": "2025-03-12T09:30"},
    )
    task_create(actor=org.actor(org.rep_a1), values={"title": "无提醒", "due_on": "2025-03-12"})
    mail.outbox.clear()
    # when the job runs before, at, and again after the reminder time
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        early = send_task_reminders.call()
    with time_machine.travel(NOW, tick=False):
        first = send_task_reminders.call()
        second = send_task_reminders.call()
    # then it rang exactly once, in the app and by e-mail
    assert (early, first, second) == (0, 1, 0)
    [notice] = Notification.objects.filter(kind=NotificationKind.TASK_REMINDER)
    assert (notice.recipient_id, notice.target_id) == (org.rep_a1.pk, task.pk)
    assert notice.title == "提醒：电话确认合同条款"
    assert [m.to for m in mail.outbox] == [["rep_a1@example.com"]]
    assert "电话确认合同条款" in mail.outbox[0].body


def test_a_reminder_is_not_emailed_to_someone_who_turned_email_off(org: Org) -> None:
    preference_set(actor=org.actor(org.rep_a1), key="email_reminders", value=False)
    task_create(
        actor=org.actor(org.rep_a1), values={"title": "回访", "due_on": "2025-03-12", "remind_at": "2025-03-12T09:00"}
    )
    mail.outbox.clear()
    with time_machine.travel(NOW, tick=False):
        assert send_task_reminders.call() == 1
    assert mail.outbox == []


def test_moving_the_reminder_rings_again(org: Org) -> None:
    actor = org.actor(org.rep_a1)
    task = task_create(actor=actor, values={"title": "回访", "due_on": "2025-03-12", "remind_at": "2025-03-12T09:00"})
    with time_machine.travel(NOW, tick=False):
        assert len(task_reminders_send(actor=system_actor("test"))) == 1
    task.refresh_from_db()
    task_update(actor=actor, task_id=task.pk, version=task.version, values={"remind_at": "2025-03-12T11:00"})
    with time_machine.travel(NOW + dt.timedelta(hours=1, minutes=5), tick=False):
        assert len(task_reminders_send(actor=system_actor("test"))) == 1


def test_only_the_scheduler_sends_reminders(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        task_reminders_send(actor=org.actor(org.admin))
    with pytest.raises(PermissionDenied):
        daily_digest_send(actor=org.actor(org.admin))


def test_daily_digest_counts_today_and_overdue_once_a_day(org: Org) -> None:
    actor = org.actor(org.rep_a1)
    for title, due in [
        ("逾期一", "2025-03-10"),
        ("逾期二", "2025-03-11"),
        ("今天", "2025-03-12"),
        ("明天", "2025-03-13"),
    ]:
        task_create(actor=actor, values={"title": title, "due_on": due})
    done = task_create(actor=actor, values={"title": "已完成", "due_on": "2025-03-11"})
    task_complete(actor=actor, task_id=done.pk)
    task_create(actor=org.actor(org.rep_a2), values={"title": "她的任务", "due_on": "2025-03-12"})
    mail.outbox.clear()
    with time_machine.travel(NOW, tick=False):
        first = send_daily_digest.call()
        second = send_daily_digest.call()
    assert (first, second) == (2, 0)
    titles = dict(
        Notification.objects.filter(kind=NotificationKind.DAILY_DIGEST).values_list("recipient__username", "title")
    )
    assert titles == {"rep_a1": "今日到期 1 项任务，逾期 2 项", "rep_a2": "今日到期 1 项任务，逾期 0 项"}
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert set(by_recipient) == {"rep_a1@example.com", "rep_a2@example.com"}
    assert "逾期一" in by_recipient["rep_a1@example.com"]
    assert "明天" not in by_recipient["rep_a1@example.com"]


# Calendar feed ---------------------------------------------------------------------------------


def test_the_calendar_feed_lists_exactly_the_users_open_tasks(org: Org) -> None:
    actor = org.actor(org.rep_a1)
    customer = a_customer(org.rep_a1, name="青岛海尔智家股份有限公司")
    timed = task_create(
        actor=actor,
        values={"title": "视频会议", "due_on": "2030-05-06", "due_time": "14:00", "customer_id": customer.pk},
    )
    all_day = task_create(actor=actor, values={"title": "提交投标文件", "due_on": "2030-05-07"})
    finished = task_create(actor=actor, values={"title": "已完成的事", "due_on": "2030-05-08"})
    task_complete(actor=actor, task_id=finished.pk)
    task_create(actor=org.actor(org.rep_a2), values={"title": "别人的任务", "due_on": "2030-05-06"})
    token = calendar_feed_reset(actor=actor)

    response = Client().get(f"/tasks/feed/{token}.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"视频会议", "提交投标文件"}
    start = events["视频会议"].decoded("dtstart")
    assert start == dt.datetime(2030, 5, 6, 14, 0, tzinfo=start.tzinfo)
    assert start.utcoffset() == dt.timedelta(hours=8)
    assert events["提交投标文件"].decoded("dtstart") == dt.date(2030, 5, 7)
    assert "青岛海尔智家股份有限公司" in str(events["视频会议"]["description"])
    assert str(events["视频会议"]["uid"]).startswith(f"task-{timed.pk}@")
    assert str(events["提交投标文件"]["uid"]).startswith(f"task-{all_day.pk}@")


def test_a_new_calendar_address_retires_the_old_one_and_strangers_get_404(org: Org) -> None:
    old = calendar_feed_reset(actor=org.actor(org.rep_a1))
    new = calendar_feed_reset(actor=org.actor(org.rep_a1))
    assert Client().get(f"/tasks/feed/{old}.ics").status_code == 404
    assert Client().get(f"/tasks/feed/{new}.ics").status_code == 200
    assert Client().get("/tasks/feed/cal_guess.ics").status_code == 404
    org.rep_a1.is_active = False
    org.rep_a1.save()
    assert Client().get(f"/tasks/feed/{new}.ics").status_code == 404


def test_the_calendar_page_shows_the_address_once(org: Org) -> None:
    client = signed_in(org.rep_a1)
    made = client.post("/tasks/calendar/", {"action": "reset"}).content.decode()
    again = client.get("/tasks/calendar/").content.decode()
    assert 'data-testid="feed-url"' in made
    assert "/tasks/feed/cal_" in made
    assert "/tasks/feed/cal_" not in again


# Screens and API -------------------------------------------------------------------------------


def test_the_task_page_adds_lists_by_bucket_and_ticks_off(org: Org) -> None:
    client = signed_in(org.rep_a1)
    with time_machine.travel(NOW, tick=False):
        added = client.post("/tasks/", {"title": "给周总发合同", "due_on": "2025-03-12", "owner_id": org.rep_a1.pk})
        bad = client.post("/tasks/", {"title": "", "due_on": ""})
        today = client.get("/tasks/?bucket=today").content.decode()
        upcoming = client.get("/tasks/?bucket=upcoming").content.decode()
    assert added.status_code == 302
    assert bad.status_code == 422
    assert 'data-field-error="title"' in bad.content.decode()
    assert "给周总发合同" in today
    assert "给周总发合同" not in upcoming
    task = Task.objects.get(title="给周总发合同")
    row = client.post(f"/tasks/{task.pk}/done/", headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="task-reopen"' in row
    assert signed_in(org.rep_a2).post(f"/tasks/{task.pk}/done/").status_code == 404


def test_the_home_page_lists_the_tasks_due(org: Org) -> None:
    task_create(actor=org.actor(org.rep_a1), values={"title": "上周就该打的电话", "due_on": "2020-01-01"})
    body = signed_in(org.rep_a1).get("/").content.decode()
    assert "上周就该打的电话" in body


def test_the_api_creates_lists_and_completes_tasks(org: Org) -> None:
    _token, secret = token_create(actor=api_actor(org.rep_a1), name="tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    created = client.post(
        "/api/v1/tasks",
        {"title": "准备演示环境", "due_on": "2030-01-02", "due_time": "10:00"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    listing = client.get("/api/v1/tasks?bucket=upcoming").json()
    assert [item["title"] for item in listing["items"]] == ["准备演示环境"]
    assert client.post(f"/api/v1/tasks/{task_id}/done").json()["status"] == "done"
    bad = client.post("/api/v1/tasks", {"title": "", "due_on": "2030-01-02"}, content_type="application/json")
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["title"]
    stale = client.patch(f"/api/v1/tasks/{task_id}", {"version": 0, "title": "x"}, content_type="application/json")
    assert stale.status_code == 409
    assert client.get("/api/v1/tasks?bucket=someday").status_code == 422


def test_task_list_queries_do_not_grow_with_rows(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = signed_in(org.east_a_manager)
    customer = a_customer(org.rep_a1, name="成都极米科技股份有限公司")

    def add(count: int) -> None:
        for i in range(count):
            task_create(
                actor=org.actor(org.rep_a1),
                values={"title": f"跟进极米 {i}", "due_on": "2030-01-02", "customer_id": customer.pk},
            )

    add(3)
    with django_assert_max_num_queries(14) as few:
        client.get("/tasks/")
    add(22)
    with django_assert_max_num_queries(14) as many:
        body = client.get("/tasks/").content.decode()
    assert body.count('data-testid="task"') == 25
    assert len(many.captured_queries) == len(few.captured_queries)


def test_follow_ups_written_in_bulk_get_their_tasks_once(org: Org) -> None:
    from crm.activities.models import Activity
    from crm.activities.services import tasks_from_planned_contacts

    # given follow-ups inserted around the services: one planned, one settled, one without a date
    customer = a_customer(org.rep_a1)
    common = {"customer": customer, "owner": org.rep_a1, "team": org.east_a, "kind": "call"}
    planned = Activity.objects.create(**common, content="电话", next_step="寄样品", next_contact_on=TODAY)
    Activity.objects.create(**common, content="拜访", next_contact_on=TODAY, is_next_contact_done=True)
    Activity.objects.create(**common, content="微信")
    # when tasks are planned in bulk, twice
    first = tasks_from_planned_contacts(actor=system_actor("demo"))
    second = tasks_from_planned_contacts(actor=system_actor("demo"))
    # then the one open planned contact has exactly one task
    assert (first, second) == (1, 0)
    [task] = Task.objects.all()
    assert (task.source_activity_id, task.title, task.due_on, task.owner_id) == (
        planned.pk,
        "寄样品",
        TODAY,
        org.rep_a1.pk,
    )
    with pytest.raises(PermissionDenied):
        tasks_from_planned_contacts(actor=org.actor(org.admin))


def test_a_long_overdue_backlog_does_not_hide_todays_tasks(org: Org) -> None:
    actor = org.actor(org.rep_a1)
    for day in ("2025-03-01", "2025-03-02", "2025-03-03"):
        task_create(actor=actor, values={"title": f"逾期 {day}", "due_on": day})
    task_create(actor=actor, values={"title": "今天要做", "due_on": "2025-03-12"})
    with time_machine.travel(NOW, tick=False):
        due = tasks_due(viewer=actor, limit=2)
    assert [t.title for t in due.overdue] == ["逾期 2025-03-01", "逾期 2025-03-02"]
    assert [t.title for t in due.today] == ["今天要做"]
