"""Demo payment plans, payments and invoices on the demo contracts: some paid on time, some late, some
overdue, so the panel, the lists and the ageing report have something to show."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from crm.contracts.models import Contract
from crm.core import clock
from crm.core.actors import system_actor
from crm.payments.models import PaymentPlan
from crm.payments.selectors import COLLECTABLE_STATUSES
from crm.payments.services.collection import payment_record
from crm.payments.services.invoicing import invoice_issue
from crm.payments.services.plans import payment_plan_set

CENT = Decimal("0.01")
# Instalment shares of the contract amount, the usual Chinese B2B terms: advance, delivery, acceptance.
TERMS = ((Decimal("0.3"), Decimal("0.6"), Decimal("0.1")), (Decimal("0.5"), Decimal("0.5")), (Decimal(1),))


def demo_payments(rng: random.Random) -> int:
    """A plan on every demo contract; collected payments and an invoice on the signed ones."""
    actor = system_actor("demo")
    today = clock.today()
    made = 0
    contracts = Contract.objects.exclude(pk__in=PaymentPlan.objects.values("contract_id")).filter(amount__gt=0)
    for index, contract in enumerate(contracts.order_by("id")):
        shares = TERMS[index % len(TERMS)]
        start = contract.signed_on or contract.starts_on or today - dt.timedelta(days=30)
        amounts = [(contract.amount * share).quantize(CENT) for share in shares]
        amounts[-1] += contract.amount - sum(amounts)
        # Spread so that early instalments fall due 40–120 days ago: the ageing report has content.
        first_due = start + dt.timedelta(days=rng.choice((-120, -75, -40, 10)))
        rows = [
            {"amount": str(amount), "due_on": (first_due + dt.timedelta(days=60 * n)).isoformat()}
            for n, amount in enumerate(amounts)
        ]
        notes = ["预付款", "到货款", "验收款"]
        for row, note in zip(rows, notes, strict=False):
            row["note"] = note
        payment_plan_set(actor=actor, contract_id=contract.pk, version=0, instalments=rows)
        made += 1
        if contract.status not in COLLECTABLE_STATUSES:
            continue
        invoice_issue(
            actor=actor,
            contract_id=contract.pk,
            values={
                "kind": "vat_special",
                "number": f"{44000000 + contract.pk:08d}",
                "amount": str(amounts[0]),
                "issued_on": min(first_due, today).isoformat(),
                "title": contract.customer.name,
                "tax_id": contract.customer.credit_code,
            }
            if contract.customer.credit_code
            else {
                "kind": "other",
                "number": f"R{contract.pk:07d}",
                "amount": str(amounts[0]),
                "issued_on": min(first_due, today).isoformat(),
                "title": contract.customer.name,
            },
        )
        # The advance is paid (sometimes late); part of the next one on some contracts.
        paid = amounts[0] if index % 3 else (amounts[0] / 2).quantize(CENT)
        if index % 4 == 1 and len(amounts) > 1:
            paid += (amounts[1] / 3).quantize(CENT)
        received = min(first_due + dt.timedelta(days=rng.randrange(0, 20)), today)
        payment_record(
            actor=actor,
            contract_id=contract.pk,
            values={
                "amount": str(paid),
                "received_on": received.isoformat(),
                "method": rng.choice(["bank_transfer", "bank_transfer", "online", "cheque"]),
                "reference": f"回单 {received:%Y%m%d}-{contract.pk}",
            },
        )
    return made
