"""Follow-ups API: `/api/v1/activities`; tasks: `/api/v1/tasks`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from crm.activities import selectors, services
from crm.activities.models import Activity, Task
from crm.api.schemas import ERRORS
from crm.core.actors import Actor, api_actor
from crm.core.errors import FieldError, ValidationFailed

router = Router(tags=["activities"])


def _actor(request: HttpRequest) -> Actor:
    return api_actor(request.user)


class ActivityIn(Schema):
    customer_id: int
    contact_id: int | None = None
    kind: str = Field("call", description="call, visit, meeting, wechat, email or note")
    content: str
    occurred_at: dt.datetime | None = None
    next_step: str = ""
    next_contact_on: dt.date | None = None


class ActivityPatch(Schema):
    version: int
    contact_id: int | None = None
    kind: str | None = None
    content: str | None = None
    occurred_at: dt.datetime | None = None
    next_step: str | None = None
    next_contact_on: dt.date | None = None


class ActivityOut(Schema):
    id: int
    version: int
    customer_id: int
    contact_id: int | None
    kind: str
    content: str
    occurred_at: dt.datetime
    next_step: str
    next_contact_on: dt.date | None
    is_next_contact_done: bool
    owner_id: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class ActivityFilter(Schema):
    customer_id: int | None = None
    contact_id: int | None = None
    owner_id: int | None = None
    kind: str = ""
    occurred_from: dt.date | None = None
    occurred_to: dt.date | None = None
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


@router.get("", response={200: ActivityPage, **ERRORS}, operation_id="list_activities")
def list_activities(request: HttpRequest, filters: Query[ActivityFilter]) -> dict[str, Any]:
    """Follow-ups on customers you may see, newest first."""
    values = filters.dict(exclude={"cursor", "limit"})
    page = selectors.activity_page(
        viewer=_actor(request),
        filters=selectors.ActivityFilters(**values),
        cursor=filters.cursor,
        size=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("", response={201: ActivityOut, **ERRORS}, operation_id="create_activity")
def create_activity(request: HttpRequest, payload: ActivityIn) -> tuple[int, Activity]:
    values = payload.dict()
    if values["occurred_at"] is None:
        values.pop("occurred_at")
    return 201, services.activity_create(actor=_actor(request), values=values)


@router.get("/{activity_id}", response={200: ActivityOut, **ERRORS}, operation_id="get_activity")
def get_activity(request: HttpRequest, activity_id: int) -> Activity:
    return selectors.activity_get(viewer=_actor(request), activity_id=activity_id)


@router.patch("/{activity_id}", response={200: ActivityOut, **ERRORS}, operation_id="update_activity")
def update_activity(request: HttpRequest, activity_id: int, payload: ActivityPatch) -> Activity:
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    return services.activity_update(actor=_actor(request), activity_id=activity_id, version=version, values=values)


@router.delete("/{activity_id}", response={204: None, **ERRORS}, operation_id="delete_activity")
def delete_activity(request: HttpRequest, activity_id: int) -> tuple[int, None]:
    services.activity_delete(actor=_actor(request), activity_id=activity_id)
    return 204, None


# Tasks: `/api/v1/tasks` --------------------------------------------------------------------------

tasks_router = Router(tags=["tasks"])


class TaskIn(Schema):
    title: str
    due_on: dt.date
    due_time: dt.time | None = None
    remind_at: dt.datetime | None = None
    notes: str = ""
    owner_id: int | None = Field(None, description="Defaults to you; managers may give tasks to their teams")
    customer_id: int | None = None
    contact_id: int | None = None
    related_type: str = Field("", description="Another record the task is about, e.g. `deals.deal`")
    related_id: int | None = None
    external_id: str | None = None


class TaskPatch(Schema):
    version: int
    title: str | None = None
    due_on: dt.date | None = None
    due_time: dt.time | None = None
    remind_at: dt.datetime | None = None
    notes: str | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    contact_id: int | None = None


class TaskOut(Schema):
    id: int
    version: int
    title: str
    notes: str
    due_on: dt.date
    due_time: dt.time | None
    remind_at: dt.datetime | None
    status: str
    done_at: dt.datetime | None
    owner_id: int
    customer_id: int | None
    contact_id: int | None
    related_type: str
    related_id: int | None
    source_activity_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None


class TaskFilter(Schema):
    bucket: str = Field("open", description="open, overdue, today, upcoming or done")
    owner_id: int | None = None
    customer_id: int | None = None
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


@tasks_router.get("", response={200: TaskPage, **ERRORS}, operation_id="list_tasks")
def list_tasks(request: HttpRequest, filters: Query[TaskFilter]) -> dict[str, Any]:
    """Tasks you may see: yours, and those of the teams you manage."""
    if filters.bucket not in selectors.TASK_BUCKETS:
        raise ValidationFailed(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(selectors.TASK_BUCKETS)},
            errors=[FieldError(field="bucket", message=_("Unknown bucket."))],
        )
    page = selectors.task_page(
        viewer=_actor(request),
        filters=selectors.TaskFilters(
            bucket=filters.bucket, owner_id=filters.owner_id, customer_id=filters.customer_id
        ),
        cursor=filters.cursor,
        size=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@tasks_router.post("", response={201: TaskOut, **ERRORS}, operation_id="create_task")
def create_task(request: HttpRequest, payload: TaskIn) -> tuple[int, Task]:
    return 201, services.task_create(actor=_actor(request), values=payload.dict())


@tasks_router.get("/{task_id}", response={200: TaskOut, **ERRORS}, operation_id="get_task")
def get_task(request: HttpRequest, task_id: int) -> Task:
    return selectors.task_get(viewer=_actor(request), task_id=task_id)


@tasks_router.patch("/{task_id}", response={200: TaskOut, **ERRORS}, operation_id="update_task")
def update_task(request: HttpRequest, task_id: int, payload: TaskPatch) -> Task:
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    return services.task_update(actor=_actor(request), task_id=task_id, version=version, values=values)


@tasks_router.post("/{task_id}/done", response={200: TaskOut, **ERRORS}, operation_id="complete_task")
def complete_task(request: HttpRequest, task_id: int) -> Task:
    services.task_complete(actor=_actor(request), task_id=task_id)
    return selectors.task_get(viewer=_actor(request), task_id=task_id)


@tasks_router.post("/{task_id}/reopen", response={200: TaskOut, **ERRORS}, operation_id="reopen_task")
def reopen_task(request: HttpRequest, task_id: int) -> Task:
    services.task_reopen(actor=_actor(request), task_id=task_id)
    return selectors.task_get(viewer=_actor(request), task_id=task_id)


@tasks_router.delete("/{task_id}", response={204: None, **ERRORS}, operation_id="delete_task")
def delete_task(request: HttpRequest, task_id: int) -> tuple[int, None]:
    services.task_delete(actor=_actor(request), task_id=task_id)
    return 204, None
