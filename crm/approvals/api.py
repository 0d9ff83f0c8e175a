"""Approvals API: `/api/v1/approvals` — your queue, one approval, and the decisions on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from crm.api.schemas import ERRORS
from crm.approvals import selectors, services
from crm.approvals.models import ApprovalRequest
from crm.approvals.presentation import request_view
from crm.core.actors import Actor, api_actor
from crm.identity.models import User

router = Router(tags=["approvals"])


def _actor(request: HttpRequest) -> Actor:
    return api_actor(request.user)


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]  # authentication is required on every route
    return user


class PersonOut(Schema):
    id: int
    name: str


class ApprovalStepOut(Schema):
    position: int
    name: str
    status: str = Field(description="waiting, pending, approved, rejected, returned, skipped or cancelled")
    approver: str = Field(description="What the step's approver was configured as, e.g. a role.")
    approvers: list[PersonOut] = Field(description="Who may decide the step (any one of them).")
    conditions: list[str]
    skip_reason: str = Field(description="condition, submitter or top_of_tree when skipped")
    decided_by: PersonOut | None
    on_behalf_of: PersonOut | None = Field(description="Set when a delegate decided for an approver.")
    decided_at: dt.datetime | None
    comment: str


class ApprovalSummaryOut(Schema):
    id: int
    kind: str
    target_id: int
    title: str
    url: str
    status: str
    submitter: PersonOut
    current_step: str | None
    created_at: dt.datetime


class ApprovalOut(ApprovalSummaryOut):
    flow_name: str
    flow_version: int | None
    facts: dict[str, Any]
    decided_at: dt.datetime | None
    steps: list[ApprovalStepOut]
    may_decide: bool = Field(description="Whether you may approve, reject or return the current step.")
    may_withdraw: bool


class ApprovalPage(Schema):
    items: list[ApprovalSummaryOut]
    next_cursor: str | None


class QueueFilter(Schema):
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


class DecisionIn(Schema):
    comment: str = Field("", max_length=1000, description="Required to reject or return.")
    step: int | None = Field(
        None, description="The position of the step you decide; 409 if the approval has moved past it."
    )


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "name": str(user)} if user is not None else None


def _summary(approval: ApprovalRequest) -> dict[str, Any]:
    pending = getattr(approval, "pending_steps", None)
    return {
        "id": approval.pk,
        "kind": approval.kind,
        "target_id": approval.target_id,
        "title": approval.title,
        "url": approval.url,
        "status": approval.status,
        "submitter": _person(approval.submitter),
        "current_step": pending[0].name if pending else None,
        "created_at": approval.created_at,
    }


def approval_out(actor: Actor, request_id: int) -> dict[str, Any]:
    approval = selectors.approval_get(viewer=actor, request_id=request_id)
    view = request_view(approval, _viewer(actor))
    data = _summary(approval)
    data["current_step"] = view.current.name if view.current is not None else None
    data.update(
        {
            "flow_name": approval.flow_name,
            "flow_version": approval.flow_version,
            "facts": approval.facts,
            "decided_at": approval.decided_at,
            "may_decide": view.may_decide,
            "may_withdraw": view.may_withdraw,
            "steps": [
                {
                    "position": row.step.position,
                    "name": row.step.name,
                    "status": row.step.status,
                    "approver": row.approver,
                    "approvers": [_person(assignee.user) for assignee in row.step.assignees.all()],
                    "conditions": row.conditions,
                    "skip_reason": row.step.skip_reason,
                    "decided_by": _person(row.step.decided_by),
                    "on_behalf_of": _person(row.step.on_behalf_of),
                    "decided_at": row.step.decided_at,
                    "comment": row.step.comment,
                }
                for row in view.steps
            ],
        }
    )
    return data


def _viewer(actor: Actor) -> User | None:
    user = actor.user
    return user if isinstance(user, User) else None


@router.get("", response={200: ApprovalPage, **ERRORS}, operation_id="list_approvals")
def list_approvals(request: HttpRequest, filters: Query[QueueFilter]) -> dict[str, Any]:
    """What waits for your decision, including as someone's delegate; oldest first."""
    page = selectors.approval_queue_page(_user(request), cursor=filters.cursor, size=filters.limit)
    return {"items": [_summary(item) for item in page.items], "next_cursor": page.next_cursor}


@router.get("/{request_id}", response={200: ApprovalOut, **ERRORS}, operation_id="get_approval")
def get_approval(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """One approval with its steps; 404 unless you may see the record or take part in the approval."""
    return approval_out(_actor(request), request_id)


@router.post("/{request_id}/approve", response={200: ApprovalOut, **ERRORS}, operation_id="approve_approval")
def approve_approval(request: HttpRequest, request_id: int, payload: DecisionIn) -> dict[str, Any]:
    """Approve the current step (as its approver or their delegate). 409 if someone decided it first."""
    actor = _actor(request)
    services.approval_approve(actor, request_id, comment=payload.comment, step=payload.step)
    return approval_out(actor, request_id)


@router.post("/{request_id}/reject", response={200: ApprovalOut, **ERRORS}, operation_id="reject_approval")
def reject_approval(request: HttpRequest, request_id: int, payload: DecisionIn) -> dict[str, Any]:
    """Reject with a `comment` saying why; the approval ends."""
    actor = _actor(request)
    services.approval_reject(actor, request_id, comment=payload.comment, step=payload.step)
    return approval_out(actor, request_id)


@router.post("/{request_id}/return", response={200: ApprovalOut, **ERRORS}, operation_id="return_approval")
def return_approval(request: HttpRequest, request_id: int, payload: DecisionIn) -> dict[str, Any]:
    """Send the record back to the submitter for changes, with a `comment` saying what to change."""
    actor = _actor(request)
    services.approval_return(actor, request_id, comment=payload.comment, step=payload.step)
    return approval_out(actor, request_id)


@router.post("/{request_id}/withdraw", response={200: ApprovalOut, **ERRORS}, operation_id="withdraw_approval")
def withdraw_approval(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """The submitter takes a running approval back."""
    actor = _actor(request)
    services.approval_withdraw(actor, request_id)
    return approval_out(actor, request_id)
