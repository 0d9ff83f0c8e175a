"""Discount approval through the approval engine: a discount above the submitter's role limit waits for
the flow of the "quote" kind (by default the submitter's manager) before the quote can be sent.

The role limits stay here (`needs_approval` is what sending checks); who approves, in which order and
under which conditions is the engine's flow, which administrators edit like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.approvals.models import RequestStatus, RequestStep, StepStatus
from crm.approvals.registry import OUTCOMES, ApprovalSubject
from crm.approvals.selectors import approval_history, approval_open_for
from crm.approvals.services import approval_approve, approval_reject, approval_submit
from crm.audit.services import save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from crm.identity.models import User
from crm.identity.rights import user_of
from crm.quotes.errors import ApprovalNotAllowed, QuoteLocked, QuoteNotSendable
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.selectors import (
    APPROVAL_KIND,
    Limit,
    limit_of,
    quote_get,
    quote_may_change,
    quote_may_see,
)

APPROVAL_FIELDS = [
    "status",
    "approval_requested_by",
    "approval_decided_by",
    "approval_decided_at",
    "approval_comment",
]
_STATUS_AFTER = {
    RequestStatus.APPROVED: QuoteStatus.APPROVED,
    RequestStatus.REJECTED: QuoteStatus.REJECTED,
    RequestStatus.RETURNED: QuoteStatus.DRAFT,
    RequestStatus.WITHDRAWN: QuoteStatus.DRAFT,
}
_DECIDED_STEPS = frozenset({StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.RETURNED})


# Role limits -----------------------------------------------------------------------------------


def line_discounts(quote: Quote) -> list[Decimal]:
    return list(quote.lines.values_list("discount_percent", flat=True))


def within_limit(quote: Quote, discounts: Iterable[Decimal], limit: Limit) -> bool:
    """Whether the overall discount and every line discount are within `limit`."""
    return quote.discount_percent <= limit.overall and all(discount <= limit.line for discount in discounts)


def needs_approval(quote: Quote, submitter: User | None, discounts: list[Decimal] | None = None) -> bool:
    """Whether `submitter` may not send this quote without an approval."""
    if submitter is not None and submitter.is_superuser:
        return False
    limit = limit_of(submitter.role_id if submitter is not None else None)
    return not within_limit(quote, line_discounts(quote) if discounts is None else discounts, limit)


# How the engine sees a quote -------------------------------------------------------------------


def quote_facts(quote: Quote) -> Mapping[str, Any]:
    """What flow step conditions may test. `above_limit` is measured against the submitter's own role
    limit, which differs per role, so one condition (`above_limit = true`) reproduces the role rule."""
    discounts = line_discounts(quote)
    return {
        "discount_percent": quote.discount_percent,
        "max_line_discount": max(discounts, default=Decimal(0)),
        "total": quote.total,
        "currency": quote.currency,
        "customer_grade": quote.deal.customer.grade,
        "above_limit": needs_approval(quote, quote.approval_requested_by, discounts),
    }


def _on_decided(quote: Quote, outcome: str, actor: Actor) -> None:
    quote_apply_decision(actor=actor, quote_id=quote.pk, outcome=outcome)


QUOTE_SUBJECT = ApprovalSubject(
    kind=APPROVAL_KIND,
    label=gettext_lazy("Quote"),
    model=Quote,
    facts=quote_facts,
    fact_labels={
        "discount_percent": gettext_lazy("Overall discount"),
        "max_line_discount": gettext_lazy("Largest line discount"),
        "total": gettext_lazy("Total (incl. tax)"),
        "currency": gettext_lazy("Currency"),
        "customer_grade": gettext_lazy("Customer grade"),
        "above_limit": gettext_lazy("Discount above the submitter's limit (true/false)"),
    },
    title=lambda quote: f"{quote.label} {quote.deal.name}",
    url=lambda quote: reverse("quotes:detail", args=[quote.pk]),
    on_decided=_on_decided,
    # A quote has no owner of its own: it is seen and changed through its deal.
    may_view=lambda actor, quote: quote_may_see(actor, quote),
    may_submit=lambda actor, quote: quote_may_change(actor, quote),
)


# Submitting and deciding -----------------------------------------------------------------------


def quote_request_approval(*, actor: Actor, quote_id: int, version: int) -> Quote:
    """Submit a quote whose discounts are above the submitter's limit to the "quote" approval flow.

    The quote is locked (pending approval) until the approval is decided or withdrawn; a flow that is
    switched off, or whose steps do not apply, approves it at once.
    """
    user = user_of(actor)
    with transaction.atomic():
        quote = quote_get(viewer=actor, quote_id=quote_id, for_update=True)
        if not quote_may_change(actor, quote):
            raise ApprovalNotAllowed(_("You may view this quote but not change it."))
        if quote.is_superseded:
            raise QuoteLocked(_("A newer revision of this quote exists; change that one instead."))
        if quote.status == QuoteStatus.PENDING_APPROVAL:
            raise QuoteLocked(_("This quote is already waiting for approval."))
        if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.REJECTED):
            raise QuoteLocked(
                _("A quote that is “%(status)s” cannot be submitted for approval.")
                % {"status": quote.get_status_display()}
            )
        if not quote.lines.exists():
            raise QuoteNotSendable(_("Add at least one line before asking for approval."))
        if not needs_approval(quote, user):
            raise ValidationFailed(_("The discounts are within your limit: no approval is needed, send the quote."))
        before = snapshot(quote, APPROVAL_FIELDS)
        quote.status = QuoteStatus.PENDING_APPROVAL
        quote.approval_requested_by = user
        quote.approval_decided_by = None
        quote.approval_decided_at = None
        quote.approval_comment = ""
        save_versioned(
            actor=actor,
            instance=quote,
            expected_version=version,
            before=before,
            after=snapshot(quote, APPROVAL_FIELDS),
        )
        # Refuses (and so rolls back the lock above) when a step of the flow has nobody to approve it.
        approval_submit(actor, kind=APPROVAL_KIND, target=quote)
    return quote_get(viewer=actor, quote_id=quote_id)


def _decisive_step(quote_id: int) -> RequestStep | None:
    """The step whose decision ended the quote's latest approval (None when none was decided by a person)."""
    history = approval_history(APPROVAL_KIND, quote_id)
    if not history:
        return None
    decided = [step for step in history[0].steps.all() if step.status in _DECIDED_STEPS]
    return max(decided, key=lambda step: step.position) if decided else None


def quote_apply_decision(*, actor: Actor, quote_id: int, outcome: str) -> Quote:
    """The engine's outcome on the quote: approved may be sent, rejected keeps the reason, returned and
    withdrawn go back to draft. Recorded in the quote's audit log."""
    if outcome not in OUTCOMES:
        message = _("Unknown approval outcome.")
        raise ValidationFailed(message, errors=[FieldError(field="outcome", message=message)])
    with transaction.atomic():
        quote = Quote.objects.select_for_update().filter(pk=quote_id).first()
        if quote is None:
            raise NotFound(_("This record does not exist or you may not see it."))
        if quote.status != QuoteStatus.PENDING_APPROVAL:
            # A decision arriving twice changes nothing the second time.
            return quote
        step = _decisive_step(quote.pk)
        before = snapshot(quote, APPROVAL_FIELDS)
        quote.status = _STATUS_AFTER[RequestStatus(outcome)]
        if step is not None:
            quote.approval_decided_by, quote.approval_comment = step.decided_by, step.comment[:500]
        else:
            # Approved at once (no step applied) has no decider; a withdrawal is the submitter's own.
            quote.approval_decided_by = user_of(actor) if outcome != RequestStatus.APPROVED else None
            quote.approval_comment = ""
        quote.approval_decided_at = clock.now()
        save_versioned(
            actor=actor,
            instance=quote,
            expected_version=quote.version,
            before=before,
            after=snapshot(quote, APPROVAL_FIELDS),
        )
    return quote


def quote_decide(*, actor: Actor, quote_id: int, version: int, approved: bool, comment: str = "") -> Quote:
    """Approve or reject the current step of the quote's running approval, for API clients that decide
    on the quote itself; the same rules as the approval queue apply (a reason is required to reject)."""
    quote = quote_get(viewer=actor, quote_id=quote_id)
    if quote.version != version:
        save_versioned(actor=actor, instance=quote, expected_version=version, before={}, after={})
    request = approval_open_for(APPROVAL_KIND, quote.pk)
    if request is None or quote.status != QuoteStatus.PENDING_APPROVAL:
        raise ApprovalNotAllowed(_("This quote is not waiting for approval."))
    try:
        if approved:
            approval_approve(actor, request.pk, comment=comment)
        else:
            approval_reject(actor, request.pk, comment=comment)
    except PermissionDenied as exc:
        # Kept under the quote's own error code, which API clients of these operations already handle.
        raise ApprovalNotAllowed(exc.message) from exc
    return quote_get(viewer=actor, quote_id=quote_id)
