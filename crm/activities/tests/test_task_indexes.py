"""A record's open tasks are read through the index made for them, not by scanning every open task."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from conftest import Org
from crm.activities.models import Task, TaskStatus
from crm.activities.selectors import TaskFilters, task_list, task_page


def test_a_deals_open_tasks_are_read_in_order_from_the_related_index(org: Org) -> None:
    # given many open tasks about no record, and two about one deal
    today = dt.date(2026, 11, 25)
    Task.objects.bulk_create(
        Task(title=f"回访{n}", due_on=today, owner=org.rep_a1, team_id=org.rep_a1.team_id) for n in range(200)
    )
    for days in (3, 1):
        Task.objects.create(
            title=f"商机跟进{days}", due_on=today + dt.timedelta(days=days), owner=org.rep_a1,
            team_id=org.rep_a1.team_id, related_type="deals.deal", related_id=42,
        )  # fmt: skip

    # when the deal page lists the deal's open tasks
    filters = TaskFilters(bucket="open", related_type="deals.deal", related_id=42)
    page = task_page(viewer=org.actor(org.director), filters=filters, cursor=None, size=20)

    # then it shows just those two, soonest first
    assert [task.title for task in page.items] == ["商机跟进1", "商机跟进3"]
    assert all(task.status == TaskStatus.OPEN for task in page.items)
    # and the database finds them through the partial related index, already in the page's order
    if connection.vendor == "sqlite":
        # the page's own query: the director's visible tasks with the filters, in the page's order
        plan = task_list(viewer=org.actor(org.director), filters=filters).order_by("due_on", "id")[:20].explain()
        assert "task_related_status_due" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'task_related_status_due'")
            (definition,) = cursor.fetchone() or ("",)
        assert "(related_type, related_id, status, due_on, id)" in definition
        assert "WHERE (related_id IS NOT NULL)" in definition
