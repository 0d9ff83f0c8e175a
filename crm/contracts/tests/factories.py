"""Contracts, won deals and accepted quotes built through the services, as users would build them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from crm.approvals.models import ApprovalFlow
from crm.approvals.services import flow_save, flow_step_add
from crm.contracts.models import Contract
from crm.contracts.services import contract_create, contract_create_from_deal
from crm.core import clock
from crm.core.actors import system_actor
from crm.customers.models import Customer
from crm.customers.tests.factories import a_customer
from crm.deals.models import Deal, Stage, StageKind
from crm.deals.tests.factories import a_deal
from crm.identity.models import User
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.tests.factories import a_line, a_product, a_quote

ADMIN = system_actor("test")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def a_contract(owner: User, customer: Customer | None = None, **values: Any) -> Contract:
    """A draft contract for a year, ¥120,000, on a customer of `owner`."""
    data: dict[str, Any] = {
        "title": "云桌面年度服务合同",
        "amount": "120000.00",
        "currency": "CNY",
        "signed_on": dt.date(2026, 3, 1),
        "starts_on": dt.date(2026, 3, 1),
        "ends_on": dt.date(2027, 2, 28),
    }
    data.update(values)
    data["owner_id"] = owner.pk
    data["customer_id"] = (customer or a_customer(owner)).pk
    return contract_create(actor=ADMIN, values=data)


def won(deal: Deal) -> Deal:
    """The deal closed as won (the stage rules on the way there are the deals app's business)."""
    stage = Stage.objects.get(pipeline_id=deal.pipeline_id, kind=StageKind.WON)
    Deal.objects.filter(pk=deal.pk).update(stage=stage, closed_at=clock.now(), probability=100)
    return Deal.objects.select_related("stage", "customer").get(pk=deal.pk)


def a_won_deal(owner: User, **values: Any) -> Deal:
    return won(a_deal(owner, **values))


def an_accepted_quote(deal: Deal) -> Quote:
    """A quote with a product line (2 × ¥1,200, 13% tax) and a service line (¥5,000, 6% tax), accepted."""
    quote = a_quote(deal)
    a_line(quote, a_product(sku=f"YZM-{deal.pk}"), quantity="2")
    a_line(quote)
    Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.ACCEPTED, sent_at=clock.now())
    return Quote.objects.get(pk=quote.pk)


def a_contract_from_deal(owner: User) -> Contract:
    deal = a_won_deal(owner)
    an_accepted_quote(deal)
    return contract_create_from_deal(actor=ADMIN, deal_id=deal.pk)


def a_manager_flow(name: str = "合同审批") -> ApprovalFlow:
    """Contracts go to the submitter's team manager."""
    flow = flow_save(ADMIN, kind="contract", name=name)
    flow_step_add(ADMIN, kind="contract", values={"name": "部门经理审批", "approver_kind": "manager"})
    return flow


def a_pdf(name: str = "签字盖章版.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def fresh(contract: Contract) -> Contract:
    return Contract.all_objects.get(pk=contract.pk)
