"""Reads of flows, running and past approvals, approval queues and delegations."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from crm.approvals.models import (
    ApprovalFlow,
    ApprovalRequest,
    ApprovalStep,
    Delegation,
    RequestStatus,
    RequestStep,
    StepAssignee,
    StepStatus,
)
from crm.approvals.registry import subject_for
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import NotFound
from crm.core.pagination import Page, SortKey, paginate
from crm.identity.models import User
from crm.identity.rights import user_of

QUEUE_SORT = SortKey(field="created_at", descending=False)
QUEUE_COUNT_CAP = 99


# Flows -----------------------------------------------------------------------------------------


def flow_for(kind: str) -> ApprovalFlow | None:
    return ApprovalFlow.objects.filter(kind=kind).first()


def flow_list() -> dict[str, ApprovalFlow]:
    """Every flow by kind, with its steps."""
    flows = ApprovalFlow.objects.prefetch_related("steps__approver_user", "steps__approver_role")
    return {flow.kind: flow for flow in flows}


def flow_steps(flow: ApprovalFlow) -> list[ApprovalStep]:
    return list(flow.steps.select_related("approver_user", "approver_role").order_by("position", "id"))


def flow_step_get(*, step_id: int) -> ApprovalStep:
    step = ApprovalStep.objects.select_related("flow").filter(pk=step_id).first()
    if step is None:
        raise NotFound(_("This approval step does not exist."))
    return step


def approver_choices() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("full_name", "username"))


# Delegations -----------------------------------------------------------------------------------


def delegators_of(user_id: int, day: dt.date | None = None) -> list[int]:
    """Users who have handed their approvals to `user_id` on `day` (today by default)."""
    day = day or clock.today()
    return list(
        Delegation.objects.filter(delegate_id=user_id, starts_on__lte=day, ends_on__gte=day)
        .values_list("user_id", flat=True)
        .distinct()
    )


def delegates_of(user_ids: list[int], day: dt.date | None = None) -> dict[int, list[User]]:
    """For each user away on `day`, who stands in for them."""
    day = day or clock.today()
    found: dict[int, list[User]] = {}
    rows = Delegation.objects.filter(user_id__in=user_ids, starts_on__lte=day, ends_on__gte=day).select_related(
        "delegate"
    )
    for row in rows:
        if row.delegate.is_active:
            found.setdefault(row.user_id, []).append(row.delegate)
    return found


def delegations_of(user: User) -> list[Delegation]:
    """The user's current and future delegations, soonest first."""
    return list(
        Delegation.objects.filter(user_id=user.pk, ends_on__gte=clock.today())
        .select_related("delegate")
        .order_by("starts_on", "id")
    )


def delegations_to(user: User) -> list[Delegation]:
    """Who has handed their approvals to this user, now or later."""
    return list(
        Delegation.objects.filter(delegate_id=user.pk, ends_on__gte=clock.today())
        .select_related("user")
        .order_by("starts_on", "id")
    )


# Requests --------------------------------------------------------------------------------------


def _with_steps(rows: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    return rows.select_related("submitter").prefetch_related(
        Prefetch(
            "steps",
            queryset=RequestStep.objects.select_related("decided_by", "on_behalf_of").prefetch_related(
                Prefetch("assignees", queryset=StepAssignee.objects.select_related("user"))
            ),
        )
    )


def approval_open_for(kind: str, target_id: int) -> ApprovalRequest | None:
    """The running approval of a record, if any."""
    return _with_steps(
        ApprovalRequest.objects.filter(kind=kind, target_id=target_id, status=RequestStatus.PENDING)
    ).first()


def approval_history(kind: str, target_id: int) -> list[ApprovalRequest]:
    """Every approval of a record, newest first, with steps, approvers and who decided."""
    return list(
        _with_steps(ApprovalRequest.objects.filter(kind=kind, target_id=target_id)).order_by("-created_at", "-id")
    )


def _due_steps(user_id: int) -> QuerySet[RequestStep]:
    """Current steps waiting for this user, or for someone this user stands in for today."""
    deciders = [user_id, *delegators_of(user_id)]
    return RequestStep.objects.filter(status=StepStatus.PENDING, assignees__user_id__in=deciders)


def approval_queue(user: User) -> QuerySet[ApprovalRequest]:
    """What waits for this user's decision (including as a delegate), oldest first."""
    return (
        ApprovalRequest.objects.filter(status=RequestStatus.PENDING, pk__in=_due_steps(user.pk).values("request_id"))
        .select_related("submitter")
        .order_by("created_at", "id")
    )


def approval_queue_page(user: User, *, cursor: str | None, size: int = 25) -> Page[ApprovalRequest]:
    """One page of the queue; each approval carries its current step as `pending_steps`."""
    rows = approval_queue(user).prefetch_related(
        Prefetch("steps", queryset=RequestStep.objects.filter(status=StepStatus.PENDING), to_attr="pending_steps")
    )
    return paginate(rows, sort=QUEUE_SORT, cursor=cursor, size=size)


def approval_queue_count(user: User) -> int:
    """Capped, so the nav badge stays one cheap query however long the queue grows."""
    return len(approval_queue(user).order_by().values("id")[: QUEUE_COUNT_CAP + 1])


def approvals_submitted_by(user: User, *, limit: int = 20) -> list[ApprovalRequest]:
    """The user's own approvals still running, newest first."""
    return list(
        ApprovalRequest.objects.filter(submitter_id=user.pk, status=RequestStatus.PENDING).order_by(
            "-created_at", "-id"
        )[:limit]
    )


def current_step(request: ApprovalRequest) -> RequestStep | None:
    if request.status != RequestStatus.PENDING:
        return None
    return next((step for step in request.steps.all() if step.status == StepStatus.PENDING), None)


def acting_for(user: User, step: RequestStep) -> tuple[bool, User | None]:
    """(may decide, on whose behalf): an approver decides for themselves, a delegate for whom they stand in."""
    assignees = [assignee.user for assignee in step.assignees.all()]
    if any(assignee.pk == user.pk for assignee in assignees):
        return True, None
    away = set(delegators_of(user.pk))
    stood_in = next((assignee for assignee in assignees if assignee.pk in away), None)
    return stood_in is not None, stood_in


def _involved(user: User, requests: QuerySet[ApprovalRequest]) -> bool:
    """The user submitted, approves or approved, or stands in today for an approver of one of these."""
    if requests.filter(submitter_id=user.pk).exists():
        return True
    steps = RequestStep.objects.filter(request__in=requests)
    deciders = [user.pk, *delegators_of(user.pk)]
    return steps.filter(Q(assignees__user_id__in=deciders) | Q(decided_by_id=user.pk)).exists()


def may_view_target(user: User, kind: str, target_id: int) -> bool:
    """Approvers (and their delegates) of an approval on this record may view it even when visibility hides it."""
    if not user.is_active:
        return False
    return _involved(user, ApprovalRequest.objects.filter(kind=kind, target_id=target_id))


def may_view_request(actor: Actor, request: ApprovalRequest, target: object | None = None) -> bool:
    """Whoever may see the record, and whoever is part of this approval."""
    if actor.is_system:
        return True
    user = user_of(actor)
    if user is None or not user.is_active:
        return False
    if _involved(user, ApprovalRequest.objects.filter(pk=request.pk)):
        return True
    subject = subject_for(request.kind)
    record = target if target is not None else subject.load(request.target_id)
    return record is not None and subject.viewable_by(actor, record)


def may_view_record(actor: Actor, kind: str, target_id: int) -> bool:
    """The approval panel of a record: its viewers, and the people in one of its approvals."""
    if actor.is_system:
        return True
    user = user_of(actor)
    if user is None or not user.is_active:
        return False
    subject = subject_for(kind)
    record = subject.load(target_id)
    if record is not None and subject.viewable_by(actor, record):
        return True
    return may_view_target(user, kind, target_id)


def approval_get(*, viewer: Actor, request_id: int) -> ApprovalRequest:
    """One approval with its steps; hidden and missing ones are the same 404."""
    request = _with_steps(ApprovalRequest.objects.filter(pk=request_id)).first()
    if request is None or not may_view_request(viewer, request):
        raise NotFound(_("This approval does not exist or you may not see it."))
    return request
