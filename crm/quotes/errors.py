"""Refusals of quote operations, with the stable codes the API returns."""

from __future__ import annotations

from crm.core.errors import DomainError


class QuoteLocked(DomainError):
    """The revision is pending approval, sent or superseded: it no longer changes."""

    code = "quote_locked"
    http_status = 409


class ApprovalRequired(DomainError):
    """A discount above the sender's limit has not been approved by a manager."""

    code = "approval_required"
    http_status = 422


class QuoteNotSendable(DomainError):
    """The quote cannot go out as it is (no lines, no address, wrong status)."""

    code = "quote_not_sendable"
    http_status = 422


class ApprovalNotAllowed(DomainError):
    """The actor may not decide on this approval request, or there is nothing to decide."""

    code = "approval_not_allowed"
    http_status = 403
