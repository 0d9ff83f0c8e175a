"""Contracts, plans and payments for the ledger tests, written through the services where they exist."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from crm.contracts.models import Contract, ContractStatus
from crm.core.actors import system_actor
from crm.customers.tests.factories import a_customer
from crm.identity.models import User
from crm.payments.models import Instalment, Payment, PaymentPlan
from crm.payments.services.collection import payment_record
from crm.payments.services.plans import payment_plan_set

SYSTEM = system_actor("test")
_numbers = itertools.count(1)


def a_contract(owner: User, amount: str = "100000.00", **values: Any) -> Contract:
    """A signed contract; the contracts app's own services are not needed to test the ledger."""
    customer = values.pop("customer", None) or a_customer(owner, name=f"星河数据科技有限公司{next(_numbers)}")
    data: dict[str, Any] = {
        "number": f"HT-2026-{next(_numbers):05d}",
        "title": "云桌面项目合同",
        "customer": customer,
        "owner": owner,
        "team": owner.team,
        "amount": Decimal(amount),
        "status": ContractStatus.ACTIVE,
        "signed_on": dt.date(2026, 1, 5),
    }
    data.update(values)
    return Contract.objects.create(**data)


def a_plan(contract: Contract, *rows: tuple[str, dt.date]) -> list[Instalment]:
    """Instalments (amount, due date) in order; their amounts must add up to the contract amount."""
    plan = PaymentPlan.objects.filter(contract=contract).first()
    payment_plan_set(
        actor=SYSTEM,
        contract_id=contract.pk,
        version=plan.version if plan else 0,
        instalments=[{"amount": amount, "due_on": due.isoformat()} for amount, due in rows],
    )
    return list(Instalment.objects.filter(contract=contract).order_by("number"))


def a_payment(contract: Contract, amount: str, *, on: dt.date | None = None, **values: Any) -> Payment:
    allocations = values.pop("allocations", None)
    data = {"amount": amount, "received_on": (on or dt.date(2026, 2, 1)).isoformat(), "method": "bank_transfer"}
    data.update(values)
    return payment_record(actor=SYSTEM, contract_id=contract.pk, values=data, allocations=allocations)


def money(text: str) -> Decimal:
    return Decimal(text)
