"""Payments API: `/api/v1/payment-plans`, `/api/v1/instalments`, `/api/v1/payments`, `/api/v1/invoices`,
`/api/v1/receivables`. Money is sent and returned as decimal strings ("1234.50"), never floats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from crm.api.schemas import ERRORS
from crm.core import clock
from crm.core.actors import Actor, api_actor
from crm.payments import selectors
from crm.payments.ageing import BUCKETS
from crm.payments.models import Instalment, Invoice, Payment
from crm.payments.services.collection import payment_record, payment_reverse
from crm.payments.services.invoicing import invoice_issue, invoice_void
from crm.payments.services.plans import payment_plan_set

plans_router = Router(tags=["payments"])
instalments_router = Router(tags=["payments"])
payments_router = Router(tags=["payments"])
invoices_router = Router(tags=["payments"])
receivables_router = Router(tags=["payments"])

# Amounts in: a JSON string or number parsed straight to Decimal (a float never reaches the ledger).
Money = Decimal


def _actor(request: HttpRequest) -> Actor:
    return api_actor(request.user)


# Plans and instalments -------------------------------------------------------------------------


class InstalmentIn(Schema):
    id: int | None = Field(None, description="An existing instalment to keep; omit for a new one.")
    amount: Money
    due_on: dt.date
    note: str = ""


class PlanIn(Schema):
    version: int = Field(description="The plan version you read (0 when the contract has no plan yet).")
    instalments: list[InstalmentIn]


class InstalmentOut(Schema):
    id: int
    contract_id: int
    number: int
    amount: Decimal
    due_on: dt.date
    note: str
    collected: Decimal
    outstanding: Decimal
    is_overdue: bool


class PlanOut(Schema):
    contract_id: int
    version: int
    contracted: Decimal
    planned: Decimal
    instalments: list[InstalmentOut]


class InstalmentPage(Schema):
    items: list[InstalmentOut]
    next_cursor: str | None


class InstalmentFilter(Schema):
    contract: int | None = None
    customer: int | None = None
    owner: int | None = None
    team: int | None = None
    overdue: bool = False
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


def instalment_out(item: Instalment, today: dt.date) -> dict[str, Any]:
    return {
        "id": item.pk,
        "contract_id": item.contract_id,
        "number": item.number,
        "amount": item.amount,
        "due_on": item.due_on,
        "note": item.note,
        "collected": item.collected,
        "outstanding": item.outstanding,
        "is_overdue": item.outstanding > 0 and item.due_on < today,
    }


def _plan_out(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    actor = _actor(request)
    contract = selectors.contract_get(viewer=actor, contract_id=contract_id)
    plan = selectors.plan_of(contract_id=contract.pk)
    totals = selectors.contract_totals(contract=contract)
    today = clock.today()
    return {
        "contract_id": contract.pk,
        "version": plan.version if plan else 0,
        "contracted": totals.contracted,
        "planned": totals.planned,
        "instalments": [instalment_out(item, today) for item in selectors.instalments_of(contract_id=contract.pk)],
    }


@plans_router.get("/{contract_id}", response={200: PlanOut, **ERRORS}, operation_id="get_payment_plan")
def get_payment_plan(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    """A contract's instalments with what each has collected."""
    return _plan_out(request, contract_id)


@plans_router.put("/{contract_id}", response={200: PlanOut, **ERRORS}, operation_id="set_payment_plan")
def set_payment_plan(request: HttpRequest, contract_id: int, payload: PlanIn) -> dict[str, Any]:
    """Replace the plan. Instalments must add up to the contract amount (422 `plan_mismatch`); collected
    money cannot be removed (409 `collected_amount_locked`); a stale `version` gives 409 `conflict`."""
    rows = [row.dict() for row in payload.instalments]
    payment_plan_set(actor=_actor(request), contract_id=contract_id, version=payload.version, instalments=rows)
    return _plan_out(request, contract_id)


@instalments_router.get("", response={200: InstalmentPage, **ERRORS}, operation_id="list_instalments")
def list_instalments(request: HttpRequest, filters: Query[InstalmentFilter]) -> dict[str, Any]:
    """Instalments by due date; `overdue=true` for unpaid ones past their due date."""
    page = selectors.instalment_page(
        viewer=_actor(request),
        filters=selectors.InstalmentFilters(
            contract_id=filters.contract,
            customer_id=filters.customer,
            owner_id=filters.owner,
            team_id=filters.team,
            overdue=filters.overdue,
        ),
        cursor=filters.cursor,
        size=filters.limit,
    )
    today = clock.today()
    return {"items": [instalment_out(item, today) for item in page.items], "next_cursor": page.next_cursor}


# Payments --------------------------------------------------------------------------------------


class PaymentIn(Schema):
    contract_id: int
    amount: Money
    received_on: dt.date
    method: str = Field(description="bank_transfer, cash, cheque, online or other")
    reference: str = ""
    note: str = ""
    allocations: dict[int, Money] | None = Field(
        None, description="{instalment id: amount}; omitted pays the oldest due instalments first."
    )


class ReverseIn(Schema):
    reason: str


class PaymentOut(Schema):
    id: int
    contract_id: int
    contract_number: str
    amount: Decimal
    received_on: dt.date
    method: str
    reference: str
    note: str
    reverses_id: int | None
    is_reversed: bool
    created_at: dt.datetime


class PaymentPage(Schema):
    items: list[PaymentOut]
    next_cursor: str | None


class PaymentFilter(Schema):
    contract: int | None = None
    customer: int | None = None
    owner: int | None = None
    team: int | None = None
    method: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    overdue: bool = False
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


def payment_out(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "contract_id": payment.contract_id,
        "contract_number": payment.contract.number,
        "amount": payment.amount,
        "received_on": payment.received_on,
        "method": payment.method,
        "reference": payment.reference,
        "note": payment.note,
        "reverses_id": payment.reverses_id,
        "is_reversed": bool(getattr(payment, "is_reversed", False)),
        "created_at": payment.created_at,
    }


@payments_router.get("", response={200: PaymentPage, **ERRORS}, operation_id="list_payments")
def list_payments(request: HttpRequest, filters: Query[PaymentFilter]) -> dict[str, Any]:
    """Payments and reversing entries, newest first. Follow `next_cursor` for more."""
    page = selectors.payment_page(
        viewer=_actor(request),
        filters=selectors.PaymentFilters(
            received_from=filters.received_from,
            received_to=filters.received_to,
            method=filters.method,
            owner_id=filters.owner,
            team_id=filters.team,
            customer_id=filters.customer,
            contract_id=filters.contract,
            overdue=filters.overdue,
        ),
        cursor=filters.cursor,
        size=filters.limit,
    )
    return {"items": [payment_out(payment) for payment in page.items], "next_cursor": page.next_cursor}


@payments_router.get("/{payment_id}", response={200: PaymentOut, **ERRORS}, operation_id="get_payment")
def get_payment(request: HttpRequest, payment_id: int) -> dict[str, Any]:
    return payment_out(selectors.payment_get(viewer=_actor(request), payment_id=payment_id))


@payments_router.post("", response={201: PaymentOut, **ERRORS}, operation_id="create_payment")
def create_payment(request: HttpRequest, payload: PaymentIn) -> tuple[int, dict[str, Any]]:
    """Record a payment. More than is outstanding gives 422 `overpayment`."""
    actor = _actor(request)
    values = payload.dict(exclude={"contract_id", "allocations"})
    payment = payment_record(
        actor=actor, contract_id=payload.contract_id, values=values, allocations=payload.allocations
    )
    return 201, payment_out(selectors.payment_get(viewer=actor, payment_id=payment.pk))


@payments_router.post("/{payment_id}/reverse", response={201: PaymentOut, **ERRORS}, operation_id="reverse_payment")
def reverse_payment(request: HttpRequest, payment_id: int, payload: ReverseIn) -> tuple[int, dict[str, Any]]:
    """Cancel a payment with a negative entry; returns that entry. A second reversal gives 409."""
    actor = _actor(request)
    reversal = payment_reverse(actor=actor, payment_id=payment_id, reason=payload.reason)
    return 201, payment_out(selectors.payment_get(viewer=actor, payment_id=reversal.pk))


# Invoices --------------------------------------------------------------------------------------


class InvoiceIn(Schema):
    contract_id: int
    kind: str = Field(description="vat_special, vat_general or other")
    number: str
    amount: Money
    issued_on: dt.date
    title: str
    tax_id: str = ""
    note: str = ""


class InvoiceOut(Schema):
    id: int
    contract_id: int
    kind: str
    number: str
    amount: Decimal
    issued_on: dt.date
    title: str
    tax_id: str
    note: str
    voids_id: int | None
    is_voided: bool


class InvoicePage(Schema):
    items: list[InvoiceOut]
    next_cursor: str | None


class InvoiceFilter(Schema):
    contract: int | None = None
    customer: int | None = None
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    return {name: getattr(invoice, name) for name in InvoiceOut.model_fields if name not in ("id", "is_voided")} | {
        "id": invoice.pk,
        "is_voided": bool(getattr(invoice, "is_voided", False)),
    }


@invoices_router.get("", response={200: InvoicePage, **ERRORS}, operation_id="list_invoices")
def list_invoices(request: HttpRequest, filters: Query[InvoiceFilter]) -> dict[str, Any]:
    page = selectors.invoice_page(
        viewer=_actor(request),
        filters=selectors.InvoiceFilters(
            contract_id=filters.contract,
            customer_id=filters.customer,
            issued_from=filters.issued_from,
            issued_to=filters.issued_to,
        ),
        cursor=filters.cursor,
        size=filters.limit,
    )
    return {"items": [invoice_out(invoice) for invoice in page.items], "next_cursor": page.next_cursor}


@invoices_router.get("/{invoice_id}", response={200: InvoiceOut, **ERRORS}, operation_id="get_invoice")
def get_invoice(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    return invoice_out(selectors.invoice_get(viewer=_actor(request), invoice_id=invoice_id))


@invoices_router.post("", response={201: InvoiceOut, **ERRORS}, operation_id="create_invoice")
def create_invoice(request: HttpRequest, payload: InvoiceIn) -> tuple[int, dict[str, Any]]:
    """Record an invoice. Above the contract amount gives 422 `invoice_limit_exceeded` unless allowed."""
    actor = _actor(request)
    invoice = invoice_issue(actor=actor, contract_id=payload.contract_id, values=payload.dict(exclude={"contract_id"}))
    return 201, invoice_out(selectors.invoice_get(viewer=actor, invoice_id=invoice.pk))


@invoices_router.post("/{invoice_id}/void", response={201: InvoiceOut, **ERRORS}, operation_id="void_invoice")
def void_invoice(request: HttpRequest, invoice_id: int, payload: ReverseIn) -> tuple[int, dict[str, Any]]:
    actor = _actor(request)
    entry = invoice_void(actor=actor, invoice_id=invoice_id, reason=payload.reason)
    return 201, invoice_out(selectors.invoice_get(viewer=actor, invoice_id=entry.pk))


AGEING_HELP = "Overdue amounts by days past due: " + ", ".join(bucket.key for bucket in BUCKETS)

# Receivables -----------------------------------------------------------------------------------


class ReceivableOut(Schema):
    key: int | None
    label: str
    contracted: Decimal
    invoiced: Decimal
    collected: Decimal
    outstanding: Decimal
    overdue: Decimal
    ageing: dict[str, Decimal] = Field(
        description="Overdue amounts by days past due: " + ", ".join(b.key for b in BUCKETS)
    )


class ReceivablesOut(Schema):
    group_by: str
    as_of: dt.date
    rows: list[ReceivableOut] = Field(description="the groups with the most outstanding first, at most 500")
    total: ReceivableOut = Field(description="over every group, listed or not")
    omitted: int = Field(0, description="groups not listed because they are beyond the first 500")


class ReceivableFilter(Schema):
    group_by: str = Field("owner", description="owner, team, customer or contract")
    owner: int | None = None
    team: int | None = None
    customer: int | None = None


def _receivable_out(row: selectors.ReceivableRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "contracted": row.contracted,
        "invoiced": row.invoiced,
        "collected": row.collected,
        "outstanding": row.outstanding,
        "overdue": row.overdue,
        "ageing": dict(row.buckets),
    }


@receivables_router.get("", response={200: ReceivablesOut, **ERRORS}, operation_id="get_receivables")
def get_receivables(request: HttpRequest, filters: Query[ReceivableFilter]) -> dict[str, Any]:
    """Contracted, invoiced, collected, outstanding and overdue with ageing, per owner, team, customer or contract."""
    report = selectors.receivables(
        viewer=_actor(request),
        filters=selectors.ReceivableFilters(
            owner_id=filters.owner, team_id=filters.team, customer_id=filters.customer, group_by=filters.group_by
        ),
    )
    return {
        "group_by": report.group_by,
        "as_of": report.today,
        "rows": [_receivable_out(row) for row in report.rows],
        "total": _receivable_out(report.total),
        "omitted": report.omitted,
    }
