"""Leads API: `/api/v1/leads`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from crm.api.schemas import ERRORS
from crm.core import clock
from crm.core.actors import Actor, api_actor
from crm.leads import selectors, services
from crm.leads.channel_quality import QualityRow, channel_quality, default_period
from crm.leads.models import Lead, LeadFollowUp
from crm.leads.presentation import shown_email, shown_phone

router = Router(tags=["leads"])


def _actor(request: HttpRequest) -> Actor:
    return api_actor(request.user)


class UserRef(Schema):
    id: int
    name: str


class LeadIn(Schema):
    name: str
    company_name: str = ""
    title: str = ""
    mobile: str = ""
    phone: str = ""
    email: str = ""
    wechat: str = ""
    province: str = ""
    city: str = ""
    industry: str = ""
    annual_revenue: Decimal | None = Field(None, description="In CNY.")
    notes: str = ""
    channel: str = Field(
        "", description="web_form, import, api, manual, event, referral, advertising or other; api when left out."
    )
    campaign: str = ""
    raw_submission: dict[str, Any] = {}
    owner_id: int | None = None
    external_id: str | None = None


class LeadPatch(Schema):
    version: int = Field(description="The version you read; a newer one on the server gives 409.")
    name: str | None = None
    company_name: str | None = None
    title: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    province: str | None = None
    city: str | None = None
    industry: str | None = None
    annual_revenue: Decimal | None = None
    notes: str | None = None
    channel: str | None = None
    campaign: str | None = None
    owner_id: int | None = None
    external_id: str | None = None


class ScoreReasonOut(Schema):
    """One reason behind a lead's score: "+18 行业 = 制造业"."""

    points: int
    text: str


class LeadOut(Schema):
    id: int
    version: int
    name: str
    company_name: str
    title: str
    mobile: str
    phone: str
    email: str
    wechat: str
    province: str
    city: str
    industry: str
    annual_revenue: Decimal | None
    notes: str
    channel: str
    campaign: str
    raw_submission: dict[str, Any]
    status: str
    unqualified_reason: str
    converted_customer_id: int | None
    converted_contact_id: int | None
    converted_at: dt.datetime | None
    owner: UserRef
    team_id: int | None
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    score: int
    score_reasons: list[ScoreReasonOut]
    scored_at: dt.datetime | None
    assignment_rule_id: int | None
    assignment_reason: str
    assigned_at: dt.datetime | None


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None


class LeadFilter(Schema):
    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    status: str = ""
    channel: str = ""
    campaign: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    updated_from: dt.date | None = None
    updated_to: dt.date | None = None
    sort: str = Field("-created_at", pattern=r"^(-created_at|created_at|-updated_at|name)$")
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


class StatusIn(Schema):
    status: str
    reason: str = Field("", description="Required when the status is unqualified.")
    version: int | None = Field(None, description="The version you read; a newer one on the server gives 409.")


class ConvertIn(Schema):
    customer_id: int | None = Field(None, description="Add the contact to this customer instead of creating one.")
    contact_id: int | None = Field(
        None, description="Link the lead to this existing contact (and its customer) instead of creating one."
    )
    open_deal: bool = Field(False, description="Also open a deal on the customer, with this lead as its source.")
    deal_name: str = ""
    deal_amount: Decimal = Decimal(0)
    deal_pipeline_id: int | None = None


def lead_out(actor: Actor, lead: Lead) -> dict[str, Any]:
    data = {field: getattr(lead, field) for field in LeadOut.model_fields if hasattr(lead, field)}
    data["mobile"] = shown_phone(actor, lead, lead.mobile)
    data["phone"] = shown_phone(actor, lead, lead.phone)
    data["email"] = shown_email(actor, lead, lead.email)
    data["owner"] = {"id": lead.owner_id, "name": str(lead.owner)}
    return data


def _fresh(actor: Actor, lead_id: int) -> dict[str, Any]:
    return lead_out(actor, selectors.lead_get(viewer=actor, lead_id=lead_id))


@router.get("", response={200: LeadPage, **ERRORS}, operation_id="list_leads")
def list_leads(request: HttpRequest, filters: Query[LeadFilter]) -> dict[str, Any]:
    """Leads you may see, newest first by default; follow `next_cursor` for more."""
    actor = _actor(request)
    values = filters.dict(exclude={"cursor", "limit"})
    page = selectors.lead_page(
        viewer=actor, filters=selectors.LeadFilters(**values), cursor=filters.cursor, size=filters.limit
    )
    return {"items": [lead_out(actor, lead) for lead in page.items], "next_cursor": page.next_cursor}


class QualityRowOut(Schema):
    key: str = Field(description="The channel code, or the campaign name.")
    label: str
    leads: int
    qualified: int = Field(description="Leads now qualified or converted.")
    converted: int
    contacted: int = Field(description="Leads whose status has moved away from new.")
    qualified_rate: float
    conversion_rate: float
    median_hours_to_first_contact: float | None = Field(description="Median over contacted leads.")
    median_hours_to_conversion: float | None = Field(description="Median over converted leads.")


class ChannelQualityOut(Schema):
    created_from: dt.date | None
    created_to: dt.date | None
    channels: list[QualityRowOut]
    campaigns: list[QualityRowOut]


def _hours(value: dt.timedelta | None) -> float | None:
    return round(value.total_seconds() / 3600, 2) if value is not None else None


def _quality_rows(rows: list[QualityRow]) -> list[dict[str, Any]]:
    return [
        {
            **{key: getattr(row, key) for key in ("key", "label", "leads", "qualified", "converted", "contacted")},
            "qualified_rate": round(row.qualified_rate, 4),
            "conversion_rate": round(row.conversion_rate, 4),
            "median_hours_to_first_contact": _hours(row.median_first_contact),
            "median_hours_to_conversion": _hours(row.median_conversion),
        }
        for row in rows
    ]


# Declared before "/{lead_id}" routes: their untyped path segment would match "channel-quality".
@router.get("/channel-quality", response={200: ChannelQualityOut, **ERRORS}, operation_id="lead_channel_quality")
def lead_channel_quality(
    request: HttpRequest, created_from: dt.date | None = None, created_to: dt.date | None = None
) -> dict[str, Any]:
    """Per lead source and per campaign: leads created in the period you may see, and how they fared.

    Without `created_from` and `created_to`, the last 90 days (as on the page).
    """
    actor = _actor(request)
    if created_from is None and created_to is None:
        created_from, created_to = default_period(clock.today())
    period = {"created_from": created_from, "created_to": created_to}
    return {
        **period,
        "channels": _quality_rows(channel_quality(viewer=actor, by="channel", **period)),
        "campaigns": _quality_rows(channel_quality(viewer=actor, by="campaign", **period)),
    }


@router.post("", response={201: LeadOut, **ERRORS}, operation_id="create_lead")
def create_lead(request: HttpRequest, payload: LeadIn, allow_duplicates: bool = False) -> tuple[int, dict[str, Any]]:
    """Likely duplicates give 409 with code `duplicate` and the `candidates`; `?allow_duplicates=true` confirms."""
    actor = _actor(request)
    lead = services.lead_create(actor=actor, values=payload.dict(), allow_duplicates=allow_duplicates)
    return 201, _fresh(actor, lead.pk)


@router.get("/{lead_id}", response={200: LeadOut, **ERRORS}, operation_id="get_lead")
def get_lead(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    return _fresh(_actor(request), lead_id)


@router.patch("/{lead_id}", response={200: LeadOut, **ERRORS}, operation_id="update_lead")
def update_lead(
    request: HttpRequest, lead_id: int, payload: LeadPatch, allow_duplicates: bool = False
) -> dict[str, Any]:
    """Change the fields you send. Send the `version` you read: a newer one gives 409 with the changes."""
    actor = _actor(request)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    services.lead_update(
        actor=actor, lead_id=lead_id, version=version, values=values, allow_duplicates=allow_duplicates
    )
    return _fresh(actor, lead_id)


@router.delete("/{lead_id}", response={204: None, **ERRORS}, operation_id="delete_lead")
def delete_lead(request: HttpRequest, lead_id: int) -> tuple[int, None]:
    """Move the lead to the recycle bin (restorable)."""
    services.lead_delete(actor=_actor(request), lead_id=lead_id)
    return 204, None


@router.post("/{lead_id}/restore", response={200: LeadOut, **ERRORS}, operation_id="restore_lead")
def restore_lead(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    actor = _actor(request)
    services.lead_restore(actor=actor, lead_id=lead_id)
    return _fresh(actor, lead_id)


@router.post("/{lead_id}/status", response={200: LeadOut, **ERRORS}, operation_id="set_lead_status")
def set_lead_status(request: HttpRequest, lead_id: int, payload: StatusIn) -> dict[str, Any]:
    """Move the lead to new, contacted, qualified or unqualified (with a `reason`)."""
    actor = _actor(request)
    services.lead_set_status(
        actor=actor, lead_id=lead_id, status=payload.status, reason=payload.reason, version=payload.version
    )
    return _fresh(actor, lead_id)


@router.post("/{lead_id}/convert", response={200: LeadOut, **ERRORS}, operation_id="convert_lead")
def convert_lead(request: HttpRequest, lead_id: int, payload: ConvertIn) -> dict[str, Any]:
    """Turn the lead into a contact at a new customer, or at `customer_id`; links are in the answer."""
    actor = _actor(request)
    services.lead_convert(
        actor=actor,
        lead_id=lead_id,
        customer_id=payload.customer_id,
        contact_id=payload.contact_id,
        deal=(
            {"name": payload.deal_name, "amount": payload.deal_amount, "pipeline_id": payload.deal_pipeline_id}
            if payload.open_deal
            else None
        ),
    )
    return _fresh(actor, lead_id)


class FollowUpIn(Schema):
    kind: str = Field("call", description="call, visit, meeting, wechat, email or note.")
    content: str = Field(description="What happened.")
    occurred_at: dt.datetime | None = Field(None, description="When it happened; now when left out.")
    next_step: str = ""
    next_contact_on: dt.date | None = Field(None, description="Becomes a task for you, linked to the lead.")


class FollowUpOut(Schema):
    id: int
    lead_id: int
    kind: str
    content: str
    occurred_at: dt.datetime
    next_step: str
    next_contact_on: dt.date | None
    owner: UserRef
    created_at: dt.datetime


class FollowUpPaging(Schema):
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


class FollowUpPage(Schema):
    items: list[FollowUpOut]
    next_cursor: str | None


def follow_up_out(follow_up: LeadFollowUp) -> dict[str, Any]:
    data = {field: getattr(follow_up, field) for field in FollowUpOut.model_fields if field != "owner"}
    data["owner"] = {"id": follow_up.owner_id, "name": str(follow_up.owner)}
    return data


@router.get("/{lead_id}/follow-ups", response={200: FollowUpPage, **ERRORS}, operation_id="list_lead_follow_ups")
def list_lead_follow_ups(request: HttpRequest, lead_id: int, paging: Query[FollowUpPaging]) -> dict[str, Any]:
    """The lead's follow-ups, newest first; follow `next_cursor` for more."""
    page = selectors.lead_follow_up_page(
        viewer=_actor(request), lead_id=lead_id, cursor=paging.cursor, size=paging.limit
    )
    return {"items": [follow_up_out(item) for item in page.items], "next_cursor": page.next_cursor}


@router.post("/{lead_id}/follow-ups", response={201: FollowUpOut, **ERRORS}, operation_id="create_lead_follow_up")
def create_lead_follow_up(request: HttpRequest, lead_id: int, payload: FollowUpIn) -> tuple[int, dict[str, Any]]:
    """Log a call, visit, meeting, message or note on a lead you can see; it is rescored at once."""
    follow_up = services.lead_follow_up_create(actor=_actor(request), lead_id=lead_id, values=payload.dict())
    return 201, follow_up_out(follow_up)
