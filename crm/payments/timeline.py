"""Money on the customer's timeline: payments collected (and their reversals) and invoices issued."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crm.activities.timeline_sources import TimelineEvent
from crm.core.actors import Actor
from crm.payments.selectors import customer_ledger_events


def _amount(value: Any, currency: str) -> str:
    # Grouped the way the payment screens show money in every language (Chinese number formats do not group).
    return f"{currency} {value:,.2f}"


def ledger_events(
    viewer: Actor, customer: Any, limit: int, before: dt.datetime | None = None
) -> Iterator[TimelineEvent]:
    payments, invoices = customer_ledger_events(viewer=viewer, customer_id=customer.pk, limit=limit, before=before)
    for payment in payments:
        contract = payment.contract
        amount = _amount(payment.amount, contract.currency)
        if payment.is_reversal:
            title = _("Payment reversed: %(amount)s") % {"amount": amount}
        else:
            title = _("Payment received: %(amount)s") % {"amount": amount}
        yield TimelineEvent(
            at=payment.created_at,
            label=pgettext("timeline badge", "Payment"),
            title=title,
            url=reverse("contracts:detail", args=[contract.pk]),
            detail=_("Contract %(number)s · received on %(day)s · %(method)s")
            % {
                "number": contract.number,
                "day": formats.date_format(payment.received_on, "Y-m-d"),
                "method": payment.get_method_display(),
            },
        )
    for invoice in invoices:
        contract = invoice.contract
        amount = _amount(invoice.amount, contract.currency)
        if invoice.voids_id is not None:
            title = _("Invoice voided: %(amount)s") % {"amount": amount}
        else:
            title = _("Invoice issued: %(amount)s") % {"amount": amount}
        yield TimelineEvent(
            at=invoice.created_at,
            label=pgettext("timeline badge", "Invoice"),
            title=title,
            url=reverse("contracts:detail", args=[contract.pk]),
            detail=_("Contract %(number)s · invoice %(invoice)s · %(kind)s")
            % {"number": contract.number, "invoice": invoice.number, "kind": invoice.get_kind_display()},
        )
