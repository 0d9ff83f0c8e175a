"""How approvals read on screen and in the API: who approves a step, who decided and for whom, what may be done.

Computed once here so the panel, the queue, the detail page and the API cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from crm.approvals import conditions
from crm.approvals.models import ApprovalRequest, ApprovalStep, ApproverKind, RequestStatus, RequestStep, StepStatus
from crm.approvals.registry import is_registered, subject_for
from crm.approvals.selectors import acting_for, current_step
from crm.identity.models import User

# Step and request statuses share their values ("approved", "pending" …), so one map serves both.
STATUS_BADGES: dict[str, str] = {
    RequestStatus.PENDING: "badge-warning",
    RequestStatus.APPROVED: "badge-success",
    RequestStatus.REJECTED: "badge-error",
    RequestStatus.RETURNED: "badge-info",
    RequestStatus.WITHDRAWN: "badge-ghost",
    StepStatus.WAITING: "badge-ghost",
    StepStatus.SKIPPED: "badge-ghost",
    StepStatus.CANCELLED: "badge-ghost",
}


def decided_by_label(decided_by: User | None, on_behalf_of: User | None) -> str:
    """ "李娜", or "李娜 for 王芳" when a delegate decided."""
    if decided_by is None:
        return ""
    if on_behalf_of is None:
        return str(decided_by)
    return _("%(user)s for %(other)s") % {"user": decided_by, "other": on_behalf_of}


def approver_summary(kind: str, label: str, level: int | None = None) -> str:
    """What a step's approver was configured as, in the reader's language."""
    if kind == ApproverKind.USER:
        return label
    if kind == ApproverKind.ROLE:
        return _("Role: %(role)s") % {"role": label}
    if kind == ApproverKind.MANAGER_CHAIN:
        if level is None:
            return str(ApproverKind.MANAGER_CHAIN.label)
        return _("Manager, level %(level)d (%(team)s)") % {"level": level, "team": label}
    if label:
        return _("Manager of %(team)s") % {"team": label}
    return str(ApproverKind.MANAGER.label)


def flow_step_approver(step: ApprovalStep) -> str:
    if step.approver_kind == ApproverKind.USER and step.approver_user is not None:
        return str(step.approver_user)
    if step.approver_kind == ApproverKind.ROLE and step.approver_role is not None:
        return _("Role: %(role)s") % {"role": step.approver_role.display_name}
    if step.approver_kind == ApproverKind.MANAGER_CHAIN:
        return _("%(count)d levels of managers, one after another") % {"count": step.levels}
    return str(ApproverKind.MANAGER.label)


def describe_conditions(raw: list[dict[str, Any]], kind: str) -> list[str]:
    labels = subject_for(kind).fact_labels if is_registered(kind) else {}
    return [conditions.describe(condition, labels) for condition in raw]


@dataclass
class StepView:
    step: RequestStep
    approvers: list[str]
    approver: str
    decided_by: str
    conditions: list[str]
    badge: str


@dataclass
class RequestView:
    request: ApprovalRequest
    kind_label: str
    steps: list[StepView]
    badge: str
    current: RequestStep | None = None
    may_decide: bool = False
    acting_for: str = ""
    may_withdraw: bool = False
    actions: list[str] = field(default_factory=list)


def request_view(request: ApprovalRequest, viewer: User | None) -> RequestView:
    """One approval as a viewer sees it, with the buttons they may press."""
    kind_label = str(subject_for(request.kind).label) if is_registered(request.kind) else request.kind
    steps = [
        StepView(
            step=step,
            approvers=[str(assignee.user) for assignee in step.assignees.all()],
            approver=approver_summary(step.approver_kind, step.approver_label, step.level),
            decided_by=decided_by_label(step.decided_by, step.on_behalf_of),
            conditions=describe_conditions(step.conditions, request.kind),
            badge=STATUS_BADGES.get(step.status, "badge-ghost"),
        )
        for step in request.steps.all()
    ]
    view = RequestView(
        request=request, kind_label=kind_label, steps=steps, badge=STATUS_BADGES.get(request.status, "badge-ghost")
    )
    step = current_step(request)
    view.current = step
    if viewer is not None and step is not None:
        allowed, on_behalf_of = acting_for(viewer, step)
        view.may_decide = allowed
        view.acting_for = str(on_behalf_of) if on_behalf_of is not None else ""
    view.may_withdraw = bool(viewer is not None and request.is_pending and request.submitter_id == viewer.pk)
    if view.may_decide:
        view.actions = ["approve", "return", "reject"]
    if view.may_withdraw:
        view.actions.append("withdraw")
    return view
