"""How contracts are shown: list and export columns, status badges."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from crm.contracts.models import ContractStatus
from crm.customers.presentation import Column

STATUS_BADGES = {
    ContractStatus.DRAFT: "badge-ghost",
    ContractStatus.PENDING_APPROVAL: "badge-warning",
    ContractStatus.ACTIVE: "badge-success",
    ContractStatus.EXPIRED: "badge-neutral",
    ContractStatus.TERMINATED: "badge-error",
}


def _day(value: object) -> str:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else ""


CONTRACT_COLUMNS: Sequence[Column] = (
    Column("number", _("Contract number"), lambda v, c: c.number),
    Column("title", _("Contract title"), lambda v, c: c.title),
    Column("customer", _("Customer"), lambda v, c: c.customer.name),
    Column("status", _("Status"), lambda v, c: str(c.get_status_display())),
    Column("amount", _("Amount"), lambda v, c: f"{c.amount:.2f}"),
    Column("currency", _("Currency"), lambda v, c: c.currency),
    Column("signed_on", _("Sign date"), lambda v, c: _day(c.signed_on)),
    Column("starts_on", _("Start date"), lambda v, c: _day(c.starts_on)),
    Column("ends_on", _("End date"), lambda v, c: _day(c.ends_on)),
    Column("owner", _("Owner"), lambda v, c: str(c.owner)),
    Column("team", _("Team"), lambda v, c: str(c.team or "")),
)
