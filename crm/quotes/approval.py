"""Discount approval: a discount above the submitter's role limit waits for a manager before the quote goes out.

Kept small and self-contained on purpose: who must approve is "a manager of the submitter's team (or of a
team above it), or anyone whose own role limit covers the discount".
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.audit.services import save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, ValidationFailed
from crm.identity.models import User
from crm.identity.rights import user_of
from crm.notifications.models import NotificationKind
from crm.notifications.services import Notice, notify
from crm.quotes.errors import ApprovalNotAllowed, QuoteLocked, QuoteNotSendable
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.selectors import Limit, limit_of, quote_get, quote_may_change

APPROVAL_FIELDS = [
    "status",
    "approval_requested_by",
    "approval_decided_by",
    "approval_decided_at",
    "approval_comment",
]


def line_discounts(quote: Quote) -> list[Decimal]:
    return list(quote.lines.values_list("discount_percent", flat=True))


def within_limit(quote: Quote, discounts: Iterable[Decimal], limit: Limit) -> bool:
    """Whether the overall discount and every line discount are within `limit`."""
    return quote.discount_percent <= limit.overall and all(discount <= limit.line for discount in discounts)


def needs_approval(quote: Quote, submitter: User | None, discounts: list[Decimal] | None = None) -> bool:
    """Whether `submitter` may not send this quote without a manager's approval."""
    if submitter is not None and submitter.is_superuser:
        return False
    limit = limit_of(submitter.role_id if submitter is not None else None)
    return not within_limit(quote, line_discounts(quote) if discounts is None else discounts, limit)


def _team_chain(user: User) -> list[int]:
    """The submitter's team and every team above it, nearest first (from the materialised path)."""
    if user.team is None:
        return []
    ids = [int(part) for part in user.team.path.strip("/").split("/") if part]
    return list(reversed(ids)) or [user.team.pk]


def approvers_of(submitter: User) -> list[User]:
    """The managers of the submitter's team; when the team has none, those of the nearest team above."""
    chain = _team_chain(submitter)
    managers = list(
        User.objects.filter(is_team_manager=True, is_active=True, team_id__in=chain).exclude(pk=submitter.pk)
    )
    for team_id in chain:
        nearest = [manager for manager in managers if manager.team_id == team_id]
        if nearest:
            return nearest
    return []


def may_decide(actor: Actor, quote: Quote) -> bool:
    """A manager of the requester's team (or above), or a role whose own limit covers the discounts."""
    user = user_of(actor)
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    requester = quote.approval_requested_by
    if requester is not None and user.pk == requester.pk:
        # Nobody approves their own request, whatever their role.
        return False
    if requester is not None and user.is_team_manager and user.team_id in _team_chain(requester):
        return True
    return within_limit(quote, line_discounts(quote), limit_of(user.role_id))


def _quote_url(quote: Quote) -> str:
    return reverse("quotes:detail", args=[quote.pk])


def quote_request_approval(*, actor: Actor, quote_id: int, version: int) -> Quote:
    """Ask the submitter's manager(s) to approve a discount above the submitter's limit."""
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
        approvers = approvers_of(user) if user is not None else []
        if not approvers:
            raise ValidationFailed(_("Nobody manages your team, so nobody can approve this discount."))
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
        notify(
            approvers,
            Notice(
                kind=NotificationKind.GENERAL,
                title=format_lazy(gettext_lazy("Discount approval requested: {quote}"), quote=quote.label),
                body=format_lazy(
                    gettext_lazy("{user} asks you to approve the discounts of quote {quote} on “{deal}”."),
                    user=str(user),
                    quote=quote.label,
                    deal=quote.deal.name,
                ),
                url=_quote_url(quote),
                target_type="quotes.quote",
                target_id=quote.pk,
            ),
        )
    return quote


def _decide(*, actor: Actor, quote_id: int, version: int, approved: bool, comment: str) -> Quote:
    comment = (comment or "").strip()
    if len(comment) > 500:
        message = _("Use at most %(max)d characters.") % {"max": 500}
        raise ValidationFailed(message, errors=[FieldError(field="comment", message=message)])
    if not approved and not comment:
        message = _("Say why the discount is rejected.")
        raise ValidationFailed(message, errors=[FieldError(field="comment", message=message)])
    with transaction.atomic():
        quote = quote_get(viewer=actor, quote_id=quote_id, for_update=True)
        if quote.status != QuoteStatus.PENDING_APPROVAL:
            raise ApprovalNotAllowed(_("This quote is not waiting for approval."))
        if not may_decide(actor, quote):
            raise ApprovalNotAllowed(
                _("Only a manager of the requester's team, or a role allowed this discount, may decide.")
            )
        before = snapshot(quote, APPROVAL_FIELDS)
        quote.status = QuoteStatus.APPROVED if approved else QuoteStatus.REJECTED
        quote.approval_decided_by = user_of(actor)
        quote.approval_decided_at = clock.now()
        quote.approval_comment = comment
        save_versioned(
            actor=actor,
            instance=quote,
            expected_version=version,
            before=before,
            after=snapshot(quote, APPROVAL_FIELDS),
        )
        requester = quote.approval_requested_by
        if requester is not None:
            title: Any = (
                format_lazy(gettext_lazy("Discount approved: {quote}"), quote=quote.label)
                if approved
                else format_lazy(gettext_lazy("Discount rejected: {quote}"), quote=quote.label)
            )
            notify(
                [requester],
                Notice(
                    kind=NotificationKind.GENERAL,
                    title=title,
                    body=comment,
                    url=_quote_url(quote),
                    target_type="quotes.quote",
                    target_id=quote.pk,
                ),
            )
    return quote


def quote_approve(*, actor: Actor, quote_id: int, version: int, comment: str = "") -> Quote:
    """A manager approves the discounts; the quote may then be sent."""
    return _decide(actor=actor, quote_id=quote_id, version=version, approved=True, comment=comment)


def quote_reject(*, actor: Actor, quote_id: int, version: int, comment: str) -> Quote:
    """A manager rejects the discounts with a reason; the rep changes the quote and asks again."""
    return _decide(actor=actor, quote_id=quote_id, version=version, approved=False, comment=comment)
