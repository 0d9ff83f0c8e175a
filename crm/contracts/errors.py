"""Refusals of contract operations, with the stable codes the API returns."""

from __future__ import annotations

from crm.core.errors import DomainError, ValidationFailed


class ContractLocked(DomainError):
    """The contract waits for approval, is in force or has ended: it no longer changes."""

    code = "contract_locked"
    http_status = 409


class ContractNotSubmittable(DomainError):
    """The contract cannot go to approval as it is (missing dates, wrong status)."""

    code = "contract_not_submittable"
    http_status = 422


class TemplateRenderFailed(ValidationFailed):
    """A contract template could not be rendered (bad syntax or a disallowed tag)."""

    code = "template_render_failed"
    http_status = 422
