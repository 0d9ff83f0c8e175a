"""Follow-ups API: `/api/v1/activities`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from crm.activities import selectors, services
from crm.activities.models import Activity
from crm.api.schemas import ERRORS
from crm.core.actors import Actor, api_actor

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
