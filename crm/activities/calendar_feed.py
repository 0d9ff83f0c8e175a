"""Tasks as an iCalendar (RFC 5545) feed that calendar apps subscribe to.

Each open task is an event: a timed 30-minute event when it has a due time, otherwise an
all-day event on its due date. Calendar apps show events reliably; most of them ignore iCalendar to-do items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from crm.activities.models import Task
from crm.identity.models import User

TIMED_EVENT_LENGTH = dt.timedelta(minutes=30)


def render(user: User, tasks: Sequence[Task], *, base_url: str) -> bytes:
    zone = ZoneInfo(settings.TIME_ZONE)
    calendar = Calendar()
    calendar.add("prodid", "-//CRM//Tasks//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"CRM · {user}")
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    host = base_url.split("//", 1)[-1].strip("/") or "crm"
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.pk}@{host}")
        event.add("summary", task.title)
        event.add("dtstamp", task.updated_at)
        if task.due_time is not None:
            start = dt.datetime.combine(task.due_on, task.due_time, tzinfo=zone)
            event.add("dtstart", start)
            event.add("dtend", start + TIMED_EVENT_LENGTH)
        else:
            event.add("dtstart", task.due_on)
            event.add("dtend", task.due_on + dt.timedelta(days=1))
        description = [task.notes] if task.notes else []
        if task.customer is not None:
            description.append(f"{task.customer.name}")
        if description:
            event.add("description", "\n".join(description))
        event.add("url", f"{base_url.rstrip('/')}/tasks/?focus={task.pk}")
        event.add("last-modified", timezone.localtime(task.updated_at, dt.UTC))
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
