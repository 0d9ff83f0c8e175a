"""Deals and pipelines API: `/api/v1/deals`, `/api/v1/pipelines`."""

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
from crm.deals import selectors, services
from crm.deals.funnel import Funnel, FunnelFilters, funnel_by_stage
from crm.deals.models import Deal
from crm.deals.win_loss import default_period, win_loss_analysis

deals_router = Router(tags=["deals"])
pipelines_router = Router(tags=["pipelines"])


def _actor(request: HttpRequest) -> Actor:
    return api_actor(request.user)


class Ref(Schema):
    id: int
    name: str


class DealContactIn(Schema):
    contact_id: int
    role: str = ""


class DealContactOut(Schema):
    contact: Ref
    role: str


class DealIn(Schema):
    name: str
    customer_id: int
    pipeline_id: int | None = None
    amount: Decimal = Decimal(0)
    currency: str = "CNY"
    budget: Decimal | None = None
    expected_close_on: dt.date | None = None
    probability: int | None = Field(None, ge=0, le=100)
    owner_id: int | None = None
    collaborator_ids: list[int] = []
    contacts: list[DealContactIn] = []
    source_lead_id: int | None = None
    notes: str = ""
    external_id: str | None = None


class DealPatch(Schema):
    version: int = Field(description="The version you read; a newer one on the server gives 409.")
    name: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    budget: Decimal | None = None
    expected_close_on: dt.date | None = None
    probability: int | None = Field(None, ge=0, le=100)
    owner_id: int | None = None
    collaborator_ids: list[int] | None = None
    notes: str | None = None
    external_id: str | None = None


class DealMoveIn(Schema):
    version: int
    stage_id: int
    override_reason: str = Field("", description="Managers only, where the stage allows overrides.")


class DealCloseIn(Schema):
    version: int
    reason_id: int | None = None
    competitor: str = ""
    note: str = ""


class DealReopenIn(Schema):
    version: int


class DealOut(Schema):
    id: int
    version: int
    name: str
    customer: Ref
    pipeline: Ref
    stage: Ref
    status: str
    amount: Decimal
    currency: str
    budget: Decimal | None
    expected_close_on: dt.date | None
    probability: int
    is_probability_manual: bool
    stage_entered_at: dt.datetime
    closed_at: dt.datetime | None
    close_reason: Ref | None
    competitor: str
    close_note: str
    owner: Ref
    team_id: int | None
    collaborators: list[Ref]
    contacts: list[DealContactOut]
    source_lead_id: int | None
    notes: str
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DealRow(Schema):
    id: int
    version: int
    name: str
    customer: Ref
    stage: Ref
    status: str
    amount: Decimal
    currency: str
    probability: int
    expected_close_on: dt.date | None
    owner: Ref


class DealPage(Schema):
    items: list[DealRow]
    next_cursor: str | None


class DealFilter(Schema):
    q: str = ""
    pipeline_id: int | None = None
    stage_id: int | None = None
    status: str = Field("", pattern=r"^(|open|won|lost)$")
    owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    close_month: str = Field("", pattern=r"^(|\d{4}-\d{2})$")
    sort: str = Field("-created_at", pattern=r"^(-created_at|-updated_at|-amount|name)$")
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


class StageOut(Schema):
    id: int
    name: str
    position: int
    kind: str
    probability: int
    expected_days: int
    required_fields: list[str]
    required_evidence: list[str]
    checklist: list[Ref]
    allows_override: bool
    moves_to: list[int]


class ObjectionIn(Schema):
    kind_id: int
    customer_words: str
    response: str = ""
    outcome: str = Field("open", pattern=r"^(open|resolved|unresolved)$")


class ObjectionOut(Schema):
    id: int
    kind: Ref
    stage: Ref
    customer_words: str
    response: str
    outcome: str
    raised_at: dt.datetime
    logged_by: Ref | None


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    is_active: bool
    stages: list[StageOut]


def _ref(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, "name": str(obj)}


def deal_row(deal: Deal) -> dict[str, Any]:
    return {
        "id": deal.pk,
        "version": deal.version,
        "name": deal.name,
        "customer": _ref(deal.customer),
        "stage": _ref(deal.stage),
        "status": deal.stage.kind,
        "amount": deal.amount,
        "currency": deal.currency,
        "probability": deal.probability,
        "expected_close_on": deal.expected_close_on,
        "owner": _ref(deal.owner),
    }


def deal_out(actor: Actor, deal_id: int) -> dict[str, Any]:
    deal = selectors.deal_get(viewer=actor, deal_id=deal_id)
    data = {field: getattr(deal, field) for field in DealOut.model_fields if hasattr(deal, field)}
    data.update(deal_row(deal))
    data["pipeline"] = _ref(deal.pipeline)
    data["close_reason"] = _ref(deal.close_reason) if deal.close_reason else None
    data["collaborators"] = [_ref(user) for user in selectors.deal_collaborators(deal=deal)]
    data["contacts"] = [
        {"contact": _ref(link.contact), "role": link.role} for link in selectors.deal_contacts(deal=deal)
    ]
    return data


@deals_router.get("", response={200: DealPage, **ERRORS}, operation_id="list_deals")
def list_deals(request: HttpRequest, filters: Query[DealFilter]) -> dict[str, Any]:
    """Deals you may see (owner/team rules plus deals shared with you); follow `next_cursor` for more."""
    actor = _actor(request)
    values = filters.dict(exclude={"cursor", "limit"})
    page = selectors.deal_page(
        viewer=actor, filters=selectors.DealFilters(**values), cursor=filters.cursor, size=filters.limit
    )
    return {"items": [deal_row(deal) for deal in page.items], "next_cursor": page.next_cursor}


@deals_router.post("", response={201: DealOut, **ERRORS}, operation_id="create_deal")
def create_deal(request: HttpRequest, payload: DealIn) -> tuple[int, dict[str, Any]]:
    """Open a deal in the first stage of a pipeline (the default pipeline unless `pipeline_id` is given)."""
    actor = _actor(request)
    values = payload.dict()
    if payload.probability is None:
        values.pop("probability")
    deal = services.deal_create(actor=actor, values=values)
    return 201, deal_out(actor, deal.pk)


class OutcomeRow(Schema):
    won: int
    lost: int
    closed: int
    win_rate: int
    won_amount: Decimal
    lost_amount: Decimal


class OwnerOutcome(OutcomeRow):
    owner__full_name: str


class ReasonRow(Schema):
    stage__kind: str
    close_reason__name: str | None
    count: int
    amount: Decimal


class LostAtRow(Schema):
    lost_from: str | None
    count: int
    amount: Decimal


class CompetitorRow(Schema):
    competitor: str
    count: int
    amount: Decimal


class BandRow(Schema):
    label: str
    won: int
    lost: int
    closed: int
    win_rate: int


class WinLossOut(Schema):
    totals: dict[str, Any]
    reasons: list[ReasonRow]
    lost_at: list[LostAtRow]
    owners: list[OwnerOutcome]
    competitors: list[CompetitorRow]
    bands: list[BandRow]


class WinLossFilter(Schema):
    pipeline_id: int | None = Field(None, description="Default: every pipeline.")
    closed_from: dt.date | None = Field(None, description="Deals closed on or after this day; default 1 January.")
    closed_to: dt.date | None = Field(None, description="Deals closed on or before this day; default today.")


@deals_router.get("/win-loss", response={200: WinLossOut, **ERRORS}, operation_id="deal_win_loss")
def deal_win_loss(request: HttpRequest, filters: Query[WinLossFilter]) -> dict[str, Any]:
    """Closed deals you may see, by reason, stage lost at, owner, competitor and amount band."""
    first, last = default_period(clock.today())
    result = win_loss_analysis(
        viewer=_actor(request),
        pipeline_id=filters.pipeline_id,
        since=filters.closed_from or first,
        until=filters.closed_to or last,
    )
    result["bands"] = [{**row, "label": str(row["label"])} for row in result["bands"]]
    return result


class FunnelFilter(Schema):
    pipeline_id: int | None = Field(None, description="Default: the default pipeline.")
    created_from: dt.date | None = Field(None, description="Deals created on or after this day; default 1 January.")
    created_to: dt.date | None = Field(None, description="Deals created on or before this day; default today.")
    owner_id: int | None = None
    team_id: int | None = Field(None, description="The team and its sub-teams.")


class FunnelStageOut(Schema):
    id: int
    name: str
    kind: str = Field(description="open or won; lost stages are not funnel steps.")
    position: int


class FunnelStepOut(Schema):
    stage: FunnelStageOut
    reached: int = Field(description="Deals whose furthest stage is this stage or a later one.")
    reached_amount: Decimal
    conversion_from_previous: float | None = Field(description="0–1; null for the first step or when none reached it.")
    conversion_from_first: float | None = Field(description="0–1; null when no deal reached the first step.")
    average_days: float | None = Field(description="Mean days in the stage over moves out of it; null without any.")
    timed_moves: int = Field(description="The moves out of the stage the average is taken over.")


class FunnelOut(Schema):
    pipeline: Ref
    created_from: dt.date
    created_to: dt.date
    owner_id: int | None
    team_id: int | None
    deals: int
    won: int
    steps: list[FunnelStepOut]


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def funnel_out(funnel: Funnel) -> dict[str, Any]:
    return {
        "pipeline": {"id": funnel.pipeline.pk, "name": funnel.pipeline.name},
        "created_from": funnel.created_from,
        "created_to": funnel.created_to,
        "owner_id": funnel.owner_id,
        "team_id": funnel.team_id,
        "deals": funnel.deals,
        "won": funnel.won,
        "steps": [
            {
                "stage": {
                    "id": step.stage.pk,
                    "name": step.stage.name,
                    "kind": step.stage.kind,
                    "position": step.stage.position,
                },
                "reached": step.reached,
                "reached_amount": step.reached_amount,
                "conversion_from_previous": _rate(step.from_previous),
                "conversion_from_first": _rate(step.from_first),
                "average_days": step.average_days,
                "timed_moves": step.timed_moves,
            }
            for step in funnel.steps
        ],
    }


# Declared before "/{deal_id}" routes: their path segment would otherwise be tried for "funnel".
@deals_router.get("/funnel", response={200: FunnelOut, **ERRORS}, operation_id="deal_funnel")
def deal_funnel(request: HttpRequest, filters: Query[FunnelFilter]) -> dict[str, Any]:
    """The sales funnel of deals created in a period that you may see: per open and won stage, the deals that
    reached it or a later stage, conversion from the previous and the first stage, and average days in it."""
    funnel = funnel_by_stage(viewer=_actor(request), filters=FunnelFilters(**filters.dict()))
    return funnel_out(funnel)


@deals_router.get("/{deal_id}", response={200: DealOut, **ERRORS}, operation_id="get_deal")
def get_deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    return deal_out(_actor(request), deal_id)


@deals_router.patch("/{deal_id}", response={200: DealOut, **ERRORS}, operation_id="update_deal")
def update_deal(request: HttpRequest, deal_id: int, payload: DealPatch) -> dict[str, Any]:
    """Change the fields you send. Send the `version` you read: a newer one gives 409."""
    actor = _actor(request)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    services.deal_update(actor=actor, deal_id=deal_id, version=version, values=values)
    return deal_out(actor, deal_id)


@deals_router.post("/{deal_id}/move", response={200: DealOut, **ERRORS}, operation_id="move_deal_stage")
def move_deal_stage(request: HttpRequest, deal_id: int, payload: DealMoveIn) -> dict[str, Any]:
    """Move the deal to another stage. 422 lists what is missing in `missing`; 409 if it changed meanwhile."""
    actor = _actor(request)
    services.deal_move(
        actor=actor,
        deal_id=deal_id,
        version=payload.version,
        stage_id=payload.stage_id,
        override_reason=payload.override_reason,
    )
    return deal_out(actor, deal_id)


@deals_router.post("/{deal_id}/won", response={200: DealOut, **ERRORS}, operation_id="mark_deal_won")
def mark_deal_won(request: HttpRequest, deal_id: int, payload: DealCloseIn) -> dict[str, Any]:
    actor = _actor(request)
    services.deal_close_won(
        actor=actor, deal_id=deal_id, version=payload.version, reason_id=payload.reason_id, note=payload.note
    )
    return deal_out(actor, deal_id)


@deals_router.post("/{deal_id}/lost", response={200: DealOut, **ERRORS}, operation_id="mark_deal_lost")
def mark_deal_lost(request: HttpRequest, deal_id: int, payload: DealCloseIn) -> dict[str, Any]:
    actor = _actor(request)
    services.deal_close_lost(
        actor=actor,
        deal_id=deal_id,
        version=payload.version,
        reason_id=payload.reason_id,
        competitor=payload.competitor,
        note=payload.note,
    )
    return deal_out(actor, deal_id)


@deals_router.post("/{deal_id}/reopen", response={200: DealOut, **ERRORS}, operation_id="reopen_deal")
def reopen_deal(request: HttpRequest, deal_id: int, payload: DealReopenIn) -> dict[str, Any]:
    actor = _actor(request)
    services.deal_reopen(actor=actor, deal_id=deal_id, version=payload.version)
    return deal_out(actor, deal_id)


@deals_router.delete("/{deal_id}", response={204: None, **ERRORS}, operation_id="delete_deal")
def delete_deal(request: HttpRequest, deal_id: int) -> tuple[int, None]:
    """Move the deal to the recycle bin (restorable)."""
    services.deal_delete(actor=_actor(request), deal_id=deal_id)
    return 204, None


@deals_router.post("/{deal_id}/restore", response={200: DealOut, **ERRORS}, operation_id="restore_deal")
def restore_deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    actor = _actor(request)
    services.deal_restore(actor=actor, deal_id=deal_id)
    return deal_out(actor, deal_id)


@pipelines_router.get("", response={200: list[PipelineOut], **ERRORS}, operation_id="list_pipelines")
def list_pipelines(request: HttpRequest) -> list[dict[str, Any]]:
    """Active pipelines with their stages, entry requirements and allowed moves."""
    result = []
    for pipeline in selectors.pipeline_list():
        moves = selectors.transitions_of(pipeline)
        stages = [
            {
                "id": stage.pk,
                "name": stage.name,
                "position": stage.position,
                "kind": stage.kind,
                "probability": stage.probability,
                "expected_days": stage.expected_days,
                "required_fields": stage.required_fields,
                "required_evidence": stage.required_evidence,
                "checklist": [_ref(item) for item in stage.checklist.all()],
                "allows_override": stage.allows_override,
                "moves_to": sorted(to for frm, to in moves if frm == stage.pk),
            }
            for stage in pipeline.stages.all()
        ]
        result.append(
            {
                "id": pipeline.pk,
                "name": pipeline.name,
                "is_default": pipeline.is_default,
                "is_active": pipeline.is_active,
                "stages": stages,
            }
        )
    return result


def _objection_out(objection: Any) -> dict[str, Any]:
    return {
        "id": objection.pk,
        "kind": _ref(objection.kind),
        "stage": _ref(objection.stage),
        "customer_words": objection.customer_words,
        "response": objection.response,
        "outcome": objection.outcome,
        "raised_at": objection.raised_at,
        "logged_by": _ref(objection.logged_by) if objection.logged_by else None,
    }


@deals_router.get(
    "/{deal_id}/objections", response={200: list[ObjectionOut], **ERRORS}, operation_id="list_deal_objections"
)
def list_deal_objections(request: HttpRequest, deal_id: int) -> list[dict[str, Any]]:
    deal = selectors.deal_get(viewer=_actor(request), deal_id=deal_id)
    return [_objection_out(objection) for objection in selectors.objections_of(deal=deal)]


@deals_router.post("/{deal_id}/objections", response={201: ObjectionOut, **ERRORS}, operation_id="log_deal_objection")
def log_deal_objection(request: HttpRequest, deal_id: int, payload: ObjectionIn) -> tuple[int, dict[str, Any]]:
    """Record a customer's objection at the deal's current stage; `kind_id` from the objection types."""
    objection = services.objection_log(actor=_actor(request), deal_id=deal_id, values=payload.dict())
    return 201, _objection_out(objection)
