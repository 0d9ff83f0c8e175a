"""Every write of the approval engine: flows (administrators), submissions and decisions, delegations.

Decisions lock the approval row and move its current step with a conditional UPDATE, so of two
approvers deciding the same step at once exactly one succeeds; the other gets a Conflict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.approvals import conditions
from crm.approvals.models import (
    ApprovalFlow,
    ApprovalRequest,
    ApprovalStep,
    ApproverKind,
    Delegation,
    RequestStatus,
    RequestStep,
    SkipReason,
    StepAssignee,
    StepStatus,
)
from crm.approvals.registry import ApprovalSubject, is_registered, subject_for
from crm.approvals.routing import Resolved, resolve
from crm.approvals.selectors import (
    acting_for,
    current_step,
    delegates_of,
    flow_step_get,
    may_view_request,
)
from crm.audit.models import Verb
from crm.audit.services import audit_record
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from crm.identity.models import Role, User
from crm.identity.rights import require_org_admin, user_of
from crm.notifications.models import NotificationKind
from crm.notifications.services import Notice, notify

MAX_COMMENT = 1000
MAX_STEPS = 20
MAX_DELEGATION_DAYS = 366


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


# Flows (administrators) ------------------------------------------------------------------------


def _flow_for_update(kind: str) -> ApprovalFlow:
    flow = ApprovalFlow.objects.select_for_update().filter(kind=kind).first()
    if flow is None:
        raise NotFound(_("This approval flow does not exist."))
    return flow


def _bump(flow: ApprovalFlow) -> None:
    flow.version += 1
    flow.updated_at = clock.now()
    flow.save(update_fields=["version", "updated_at"])


def flow_save(actor: Actor, *, kind: str, name: str, is_active: bool = True) -> ApprovalFlow:
    """Create the flow of a record kind, or rename / switch it on or off (administrators only)."""
    require_org_admin(actor)
    if not is_registered(kind):
        subject_for(kind)  # raises the "cannot be sent for approval" error naming the kind
    name = name.strip()
    if not name:
        raise _field_error("name", _("Give the flow a name."))
    if len(name) > 100:
        raise _field_error("name", _("Use at most %(max)d characters.") % {"max": 100})
    with transaction.atomic():
        flow = ApprovalFlow.objects.select_for_update().filter(kind=kind).first()
        if flow is None:
            flow = ApprovalFlow.objects.create(kind=kind, name=name, is_active=is_active)
            audit_record(actor=actor, verb=Verb.CREATE, target=flow, changes={"name": [None, name], "kind": kind})
            return flow
        changes = {
            field: [old, new]
            for field, old, new in (("name", flow.name, name), ("is_active", flow.is_active, is_active))
            if old != new
        }
        if changes:
            flow.name, flow.is_active = name, is_active
            flow.version += 1
            flow.updated_at = clock.now()
            flow.save(update_fields=["name", "is_active", "version", "updated_at"])
            audit_record(actor=actor, verb=Verb.UPDATE, target=flow, changes=changes)
    return flow


def _clean_step(subject: ApprovalSubject, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every bad field at once, named, or the step's column values."""
    errors: list[FieldError] = []
    name = str(values.get("name", "")).strip()
    if not name:
        errors.append(FieldError("name", _("Give the step a name.")))
    elif len(name) > 100:
        errors.append(FieldError("name", _("Use at most %(max)d characters.") % {"max": 100}))
    kind = str(values.get("approver_kind", ""))
    user: User | None = None
    role: Role | None = None
    levels = 1
    if kind not in ApproverKind.values:
        errors.append(FieldError("approver_kind", _("Choose who approves this step.")))
    if kind == ApproverKind.USER:
        user = User.objects.filter(pk=values.get("approver_user_id") or 0, is_active=True).first()
        if user is None:
            errors.append(FieldError("approver_user", _("Choose an active user.")))
    if kind == ApproverKind.ROLE:
        role = Role.objects.filter(pk=values.get("approver_role_id") or 0).first()
        if role is None:
            errors.append(FieldError("approver_role", _("Choose a role.")))
    if kind == ApproverKind.MANAGER_CHAIN:
        try:
            levels = int(values.get("levels") or 0)
        except (TypeError, ValueError):
            levels = 0
        if not 1 <= levels <= 5:
            errors.append(FieldError("levels", _("Choose between 1 and 5 levels.")))
    try:
        cleaned = conditions.clean_conditions(list(values.get("conditions") or []), subject.fact_labels)
    except conditions.ConditionError as exc:
        errors.append(FieldError("conditions", str(exc)))
        cleaned = []
    if errors:
        raise ValidationFailed(_("Please correct the listed fields."), errors=errors)
    return {
        "name": name,
        "approver_kind": kind,
        "approver_user": user,
        "approver_role": role,
        "levels": levels,
        "conditions": cleaned,
    }


def _step_snapshot(step: ApprovalStep) -> dict[str, Any]:
    return {
        "name": step.name,
        "approver_kind": step.approver_kind,
        "approver_user": step.approver_user_id,
        "approver_role": step.approver_role_id,
        "levels": step.levels,
        "conditions": step.conditions,
    }


def flow_step_add(actor: Actor, *, kind: str, values: Mapping[str, Any]) -> ApprovalStep:
    """Append a step to a kind's flow; running approvals keep the steps they were submitted with."""
    require_org_admin(actor)
    cleaned = _clean_step(subject_for(kind), values)
    with transaction.atomic():
        flow = _flow_for_update(kind)
        steps = flow.steps.count()
        if steps >= MAX_STEPS:
            raise ValidationFailed(_("A flow has at most %(count)d steps.") % {"count": MAX_STEPS})
        last = flow.steps.aggregate(models.Max("position"))["position__max"]
        step = ApprovalStep.objects.create(flow=flow, position=(last or 0) + 1, **cleaned)
        _bump(flow)
        audit_record(actor=actor, verb=Verb.UPDATE, target=flow, changes={"step": [None, step.name]})
    return step


def flow_step_update(actor: Actor, *, step_id: int, values: Mapping[str, Any]) -> ApprovalStep:
    require_org_admin(actor)
    step = flow_step_get(step_id=step_id)
    cleaned = _clean_step(subject_for(step.flow.kind), values)
    with transaction.atomic():
        flow = _flow_for_update(step.flow.kind)
        before = _step_snapshot(step)
        for name, value in cleaned.items():
            setattr(step, name, value)
        after = _step_snapshot(step)
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if changes:
            step.save(update_fields=list(cleaned))
            _bump(flow)
            audit_record(actor=actor, verb=Verb.UPDATE, target=step, changes=changes)
    return step


def flow_step_delete(actor: Actor, *, step_id: int) -> None:
    require_org_admin(actor)
    step = flow_step_get(step_id=step_id)
    with transaction.atomic():
        flow = _flow_for_update(step.flow.kind)
        audit_record(actor=actor, verb=Verb.UPDATE, target=flow, changes={"step": [step.name, None]})
        step.delete()
        _bump(flow)


def flow_step_move(actor: Actor, *, step_id: int, up: bool) -> None:
    """Swap a step with its neighbour above or below."""
    require_org_admin(actor)
    step = flow_step_get(step_id=step_id)
    with transaction.atomic():
        flow = _flow_for_update(step.flow.kind)
        steps = list(flow.steps.order_by("position", "id"))
        index = next(i for i, item in enumerate(steps) if item.pk == step.pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(steps):
            return
        steps[index], steps[other] = steps[other], steps[index]
        for position, item in enumerate(steps, start=1):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        _bump(flow)
        audit_record(actor=actor, verb=Verb.UPDATE, target=flow, changes={"order": [s.name for s in steps]})


# Delegation ------------------------------------------------------------------------------------


def delegation_set(actor: Actor, *, delegate_id: int, starts_on: dt.date, ends_on: dt.date) -> Delegation:
    """While the actor is away, approvals due to them go to `delegate`, who may decide them."""
    user = user_of(actor)
    if user is None:
        raise PermissionDenied(_("Only a person can hand over their approvals."))
    errors: list[FieldError] = []
    delegate = User.objects.filter(pk=delegate_id, is_active=True).first()
    if delegate is None or delegate.pk == user.pk:
        message = _("Choose an active user.") if delegate is None else _("Choose someone other than yourself.")
        errors.append(FieldError("delegate", message))
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", _("The end date must not be before the start date.")))
    elif (ends_on - starts_on).days >= MAX_DELEGATION_DAYS:
        errors.append(FieldError("ends_on", _("A delegation lasts at most a year.")))
    if ends_on < clock.today():
        errors.append(FieldError("ends_on", _("The end date is in the past.")))
    if errors or delegate is None:
        raise ValidationFailed(_("Please correct the listed fields."), errors=errors)
    with transaction.atomic():
        overlapping = Delegation.objects.filter(user_id=user.pk, starts_on__lte=ends_on, ends_on__gte=starts_on)
        if overlapping.exists():
            message = _("You already have a delegate for part of these dates; cancel that one first.")
            raise ValidationFailed(message, errors=[FieldError("starts_on", message)])
        delegation = Delegation.objects.create(user=user, delegate=delegate, starts_on=starts_on, ends_on=ends_on)
        audit_record(
            actor=actor,
            verb=Verb.CREATE,
            target=delegation,
            changes={
                "delegate": [None, str(delegate)],
                "starts_on": [None, starts_on.isoformat()],
                "ends_on": [None, ends_on.isoformat()],
            },
        )
        notify(
            [delegate],
            Notice(
                kind=NotificationKind.GENERAL,
                title=format_lazy(
                    gettext_lazy("{user} asks you to decide their approvals from {start} to {end}"),
                    user=str(user),
                    start=starts_on.isoformat(),
                    end=ends_on.isoformat(),
                ),
                url=reverse("approvals:queue"),
            ),
        )
    return delegation


def delegation_cancel(actor: Actor, *, delegation_id: int) -> None:
    user = user_of(actor)
    with transaction.atomic():
        delegation = Delegation.objects.filter(pk=delegation_id, user_id=user.pk if user else 0).first()
        if delegation is None:
            raise NotFound(_("This delegation does not exist."))
        audit_record(
            actor=actor, verb=Verb.DELETE, target=delegation, changes={"delegate": [str(delegation.delegate), None]}
        )
        delegation.delete()


# Submitting and deciding ----------------------------------------------------------------------


def _audit_on_target(
    actor: Actor, target: models.Model, *, old: str | None, new: str, step: str = "", comment: str = "", **extra: str
) -> None:
    """The approval's progress on the record's own timeline."""
    changes: dict[str, Any] = {"approval": [old, new]}
    if step:
        changes["approval_step"] = step
    if comment:
        changes["comment"] = comment
    changes.update({key: value for key, value in extra.items() if value})
    audit_record(actor=actor, verb=Verb.UPDATE, target=target, changes=changes)


def _notify_due(request: ApprovalRequest, step: RequestStep, subject: ApprovalSubject) -> None:
    """Tell the step's approvers, and whoever stands in for them today, that a decision waits."""
    approvers = [assignee.user for assignee in step.assignees.select_related("user")]
    standing_in = delegates_of([user.pk for user in approvers])
    recipients = approvers + [delegate for delegates in standing_in.values() for delegate in delegates]
    notify(
        recipients,
        Notice(
            kind=NotificationKind.APPROVAL_REQUESTED,
            title=format_lazy(
                gettext_lazy("Approval requested: {kind} {title}"), kind=subject.label, title=request.title
            ),
            body=format_lazy(
                gettext_lazy("{user} asks you to approve {kind} “{title}” (step: {step})."),
                user=str(request.submitter),
                kind=subject.label,
                title=request.title,
                step=step.name,
            ),
            url=request.url,
            target_type=f"{subject.model._meta.app_label}.{subject.model._meta.model_name}",
            target_id=request.target_id,
        ),
    )


_OUTCOME_TITLES = {
    RequestStatus.APPROVED: gettext_lazy("Approved: {kind} {title}"),
    RequestStatus.REJECTED: gettext_lazy("Rejected: {kind} {title}"),
    RequestStatus.RETURNED: gettext_lazy("Returned for changes: {kind} {title}"),
    RequestStatus.WITHDRAWN: gettext_lazy("Withdrawn: {kind} {title}"),
}


def _notify_outcome(
    recipients: list[User], request: ApprovalRequest, subject: ApprovalSubject, *, by: str, comment: str
) -> None:
    notify(
        recipients,
        Notice(
            kind=NotificationKind.APPROVAL_DECIDED,
            title=format_lazy(_OUTCOME_TITLES[RequestStatus(request.status)], kind=subject.label, title=request.title),
            body=format_lazy(gettext_lazy("{user}: {comment}"), user=by, comment=comment) if comment else by,
            url=request.url,
            target_type=f"{subject.model._meta.app_label}.{subject.model._meta.model_name}",
            target_id=request.target_id,
        ),
    )


def _create_steps(
    request: ApprovalRequest, flow: ApprovalFlow | None, facts: Mapping[str, Any], submitter: User
) -> list[RequestStep]:
    """Copy the flow onto the request: conditions tested now, approvers resolved now."""
    created: list[RequestStep] = []
    if flow is None:
        return created
    position = 0
    for flow_step in flow.steps.select_related("approver_user", "approver_role").order_by("position", "id"):
        applies = conditions.all_hold(flow_step.conditions, facts)
        resolved = resolve(flow_step, submitter) if applies else [_skipped_by_condition(flow_step)]
        for item in resolved:
            position += 1
            name = flow_step.name if item.level is None else f"{flow_step.name} · L{item.level}"
            step = RequestStep.objects.create(
                request=request,
                position=position,
                name=name[:100],
                approver_kind=flow_step.approver_kind,
                approver_label=item.label[:200],
                level=item.level,
                conditions=flow_step.conditions,
                status=StepStatus.SKIPPED if item.skip_reason or not applies else StepStatus.WAITING,
                skip_reason=item.skip_reason,
            )
            StepAssignee.objects.bulk_create([StepAssignee(step=step, user=user) for user in item.approvers])
            created.append(step)
    return created


def _skipped_by_condition(flow_step: ApprovalStep) -> Resolved:
    label = ""
    if flow_step.approver_kind == ApproverKind.USER and flow_step.approver_user is not None:
        label = str(flow_step.approver_user)
    elif flow_step.approver_kind == ApproverKind.ROLE and flow_step.approver_role is not None:
        label = flow_step.approver_role.display_name
    return Resolved(label=label, skip_reason=SkipReason.CONDITION)


def approval_submit(actor: Actor, *, kind: str, target: Any) -> ApprovalRequest:
    """Start an approval of `target` with a copy of its kind's active flow.

    Steps whose condition is false are skipped; when no step applies the record is approved at once.
    """
    subject = subject_for(kind)
    submitter = user_of(actor)
    if submitter is None or not submitter.is_active:
        raise PermissionDenied(_("Only a person can submit a record for approval."))
    if not subject.viewable_by(actor, target):
        raise NotFound(_("This record does not exist or you may not see it."))
    if not subject.submittable_by(actor, target):
        raise PermissionDenied(_("You may view this record but not submit it for approval."))
    facts = dict(subject.facts(target))
    with transaction.atomic():
        if ApprovalRequest.objects.filter(kind=kind, target_id=target.pk, status=RequestStatus.PENDING).exists():
            raise Conflict(_("This record is already waiting for approval."))
        flow = ApprovalFlow.objects.filter(kind=kind, is_active=True).first()
        try:
            with transaction.atomic():
                request = ApprovalRequest.objects.create(
                    kind=kind,
                    target_id=target.pk,
                    title=str(subject.title(target))[:200],
                    url=str(subject.url(target))[:500],
                    submitter=submitter,
                    flow=flow,
                    flow_name=flow.name if flow else "",
                    flow_version=flow.version if flow else None,
                    facts=conditions.plain_facts(facts),
                )
        except IntegrityError:
            raise Conflict(_("This record is already waiting for approval.")) from None
        steps = _create_steps(request, flow, facts, submitter)
        first = next((step for step in steps if step.status == StepStatus.WAITING), None)
        if first is None:
            request.status = RequestStatus.APPROVED
            request.decided_at = clock.now()
            request.save(update_fields=["status", "decided_at"])
            _audit_on_target(actor, target, old=None, new=RequestStatus.APPROVED, flow=request.flow_name)
            subject.on_decided(target, RequestStatus.APPROVED, actor)
            return request
        first.status = StepStatus.PENDING
        first.save(update_fields=["status"])
        request.current_position = first.position
        request.save(update_fields=["current_position"])
        _audit_on_target(actor, target, old=None, new=RequestStatus.PENDING, step=first.name, flow=request.flow_name)
        _notify_due(request, first, subject)
    return request


def _clean_comment(comment: str, *, required: bool, why: str = "") -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise _field_error("comment", why)
    if len(comment) > MAX_COMMENT:
        raise _field_error("comment", _("Use at most %(max)d characters.") % {"max": MAX_COMMENT})
    return comment


def _locked_request(actor: Actor, request_id: int) -> ApprovalRequest:
    request = ApprovalRequest.objects.select_for_update().select_related("submitter").filter(pk=request_id).first()
    if request is None or not may_view_request(actor, request):
        raise NotFound(_("This approval does not exist or you may not see it."))
    if request.status != RequestStatus.PENDING:
        raise Conflict(
            _("This approval is no longer waiting for a decision (it is “%(status)s”).")
            % {"status": request.get_status_display()}
        )
    return request


def _finish(request: ApprovalRequest, status: str) -> None:
    """End the request with `status`, unless someone else ended or moved it first."""
    updated = ApprovalRequest.objects.filter(
        pk=request.pk, status=RequestStatus.PENDING, current_position=request.current_position
    ).update(status=status, decided_at=clock.now(), current_position=None)
    if not updated:
        raise Conflict(_("Someone else decided this step a moment ago. Reload to see their decision."))
    RequestStep.objects.filter(request=request, status__in=[StepStatus.WAITING, StepStatus.PENDING]).update(
        status=StepStatus.CANCELLED
    )
    request.status = status
    request.current_position = None


def _decide(actor: Actor, request_id: int, *, outcome: str, comment: str, seen_step: int | None) -> ApprovalRequest:
    with transaction.atomic():
        request = _locked_request(actor, request_id)
        request = ApprovalRequest.objects.prefetch_related("steps__assignees__user").get(pk=request.pk)
        step = current_step(request)
        user = user_of(actor)
        allowed, on_behalf_of = acting_for(user, step) if (user is not None and step is not None) else (False, None)
        if step is None or not allowed:
            raise PermissionDenied(_("You are not an approver of the current step of this approval."))
        if seen_step is not None and step.position != seen_step:
            # The approver decided on a step that someone else has already moved past.
            raise Conflict(_("Someone else decided this step a moment ago. Reload to see their decision."))
        decided = {
            RequestStatus.APPROVED: StepStatus.APPROVED,
            RequestStatus.REJECTED: StepStatus.REJECTED,
            RequestStatus.RETURNED: StepStatus.RETURNED,
        }[RequestStatus(outcome)]
        # The conditional UPDATE is the guard: of two approvers deciding at once, one matches no row.
        updated = RequestStep.objects.filter(pk=step.pk, status=StepStatus.PENDING).update(
            status=decided,
            decided_by=user,
            on_behalf_of=on_behalf_of,
            decided_at=clock.now(),
            comment=comment,
        )
        if not updated:
            raise Conflict(_("Someone else decided this step a moment ago. Reload to see their decision."))
        subject = subject_for(request.kind)
        target = subject.load(request.target_id, for_update=True)
        if target is None:
            raise NotFound(_("The record of this approval no longer exists."))
        by = str(user) if on_behalf_of is None else _("%(user)s for %(other)s") % {"user": user, "other": on_behalf_of}
        following = next(
            (s for s in request.steps.all() if s.position > step.position and s.status == StepStatus.WAITING), None
        )
        if outcome == RequestStatus.APPROVED and following is not None:
            moved = ApprovalRequest.objects.filter(
                pk=request.pk, status=RequestStatus.PENDING, current_position=step.position
            ).update(current_position=following.position)
            if not moved:
                raise Conflict(_("Someone else decided this step a moment ago. Reload to see their decision."))
            RequestStep.objects.filter(pk=following.pk).update(status=StepStatus.PENDING)
            request.current_position = following.position
            _audit_on_target(
                actor,
                target,
                old=RequestStatus.PENDING,
                new=RequestStatus.PENDING,
                step=step.name,
                comment=comment,
                decision=StepStatus.APPROVED,
                by=by,
                next_step=following.name,
            )
            _notify_due(request, following, subject)
            return request
        _finish(request, outcome)
        _audit_on_target(actor, target, old=RequestStatus.PENDING, new=outcome, step=step.name, comment=comment, by=by)
        subject.on_decided(target, outcome, actor)
        _notify_outcome([request.submitter], request, subject, by=by, comment=comment)
    return request


def approval_approve(actor: Actor, request_id: int, *, comment: str = "", step: int | None = None) -> ApprovalRequest:
    """The current step's approver (or their delegate) approves; the next step, or the outcome, follows.

    `step` is the position of the step the approver was looking at; if the approval has moved on
    since, the decision is refused rather than applied to a step they have not seen.
    """
    comment = _clean_comment(comment, required=False)
    return _decide(actor, request_id, outcome=RequestStatus.APPROVED, comment=comment, seen_step=step)


def approval_reject(actor: Actor, request_id: int, *, comment: str, step: int | None = None) -> ApprovalRequest:
    """The approval ends rejected; a reason is required."""
    comment = _clean_comment(comment, required=True, why=_("Say why you reject it."))
    return _decide(actor, request_id, outcome=RequestStatus.REJECTED, comment=comment, seen_step=step)


def approval_return(actor: Actor, request_id: int, *, comment: str, step: int | None = None) -> ApprovalRequest:
    """Send the record back to the submitter for changes; they may submit it again."""
    comment = _clean_comment(comment, required=True, why=_("Say what should be changed."))
    return _decide(actor, request_id, outcome=RequestStatus.RETURNED, comment=comment, seen_step=step)


def approval_withdraw(actor: Actor, request_id: int) -> ApprovalRequest:
    """The submitter takes a running approval back."""
    with transaction.atomic():
        request = _locked_request(actor, request_id)
        if request.submitter_id != actor.user_id:
            raise PermissionDenied(_("Only the person who submitted it may withdraw an approval."))
        step = RequestStep.objects.filter(request=request, status=StepStatus.PENDING).first()
        waiting_for = [assignee.user for assignee in step.assignees.select_related("user")] if step else []
        subject = subject_for(request.kind)
        target = subject.load(request.target_id, for_update=True)
        _finish(request, RequestStatus.WITHDRAWN)
        if target is not None:
            _audit_on_target(actor, target, old=RequestStatus.PENDING, new=RequestStatus.WITHDRAWN)
            subject.on_decided(target, RequestStatus.WITHDRAWN, actor)
        _notify_outcome(waiting_for, request, subject, by=str(request.submitter), comment="")
    return request
