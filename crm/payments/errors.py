"""Refusals of ledger operations, with the stable codes the API returns."""

from __future__ import annotations

from crm.core.errors import DomainError


class Overpayment(DomainError):
    """More money than is still outstanding on an instalment or on the contract."""

    code = "overpayment"
    http_status = 422


class PlanMismatch(DomainError):
    """The instalments do not add up to the contract amount."""

    code = "plan_mismatch"
    http_status = 422


class CollectedAmountLocked(DomainError):
    """A plan edit would change or remove money already collected."""

    code = "collected_amount_locked"
    http_status = 409


class AlreadyReversed(DomainError):
    """The payment or invoice was reversed already, or is itself a reversal."""

    code = "already_reversed"
    http_status = 409


class InvoiceLimitExceeded(DomainError):
    """Invoices would exceed the contract amount and the settings do not allow it."""

    code = "invoice_limit_exceeded"
    http_status = 422
