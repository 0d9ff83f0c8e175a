"""How payments are shown in exports: the columns of the payments list."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy

from crm.customers.presentation import Column

PAYMENT_COLUMNS: Sequence[Column] = (
    Column("received_on", gettext_lazy("Received on"), lambda v, p: p.received_on.isoformat()),
    Column("contract", gettext_lazy("Contract number"), lambda v, p: p.contract.number),
    Column("customer", gettext_lazy("Customer"), lambda v, p: p.contract.customer.name),
    Column("amount", gettext_lazy("Amount"), lambda v, p: f"{p.amount:.2f}"),
    Column("currency", gettext_lazy("Currency"), lambda v, p: p.contract.currency),
    Column("method", gettext_lazy("Payment method"), lambda v, p: p.get_method_display()),
    Column("reference", gettext_lazy("Reference"), lambda v, p: p.reference),
    Column("reverses", gettext_lazy("Reverses payment"), lambda v, p: str(p.reverses_id or "")),
    Column("owner", gettext_lazy("Owner"), lambda v, p: str(p.contract.owner)),
    Column("note", gettext_lazy("Note"), lambda v, p: p.note),
)
