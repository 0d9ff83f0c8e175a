"""Demo product catalogue, a partner price list, and quotes on the open deals in later stages."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from crm.approvals.models import StepStatus
from crm.approvals.selectors import approval_open_for
from crm.approvals.services import approval_approve, approval_reject
from crm.core.actors import system_actor, web_actor
from crm.core.errors import DomainError
from crm.deals.models import Deal, StageKind
from crm.identity.models import BuiltinRole
from crm.quotes.approval import quote_request_approval
from crm.quotes.models import Product, Quote, QuoteStatus
from crm.quotes.selectors import APPROVAL_KIND
from crm.quotes.services import (
    price_list_create,
    price_list_price_set,
    product_create,
    quote_create,
    quote_line_add,
    quote_line_update,
)

DEMO_QUOTES = 40
DEMO_DISCOUNT_APPROVALS = 8
# A rep may give 10% per line: these go to the rep's manager through the approval engine.
BIG_DISCOUNTS = ["12", "15", "18"]
# SKU, name, unit, list price, tax rate (%): 13% for goods and licences, 6% for services.
CATALOGUE = [
    ("YZM-STD", "云桌面标准版授权", "套", "1200.00", "13"),
    ("YZM-PRO", "云桌面专业版授权", "套", "2200.00", "13"),
    ("ERP-CORE", "ERP 核心模块", "套", "180000.00", "13"),
    ("DATA-HUB", "数据中台平台授权", "年", "260000.00", "13"),
    ("WMS-BASE", "智能仓储系统基础版", "套", "98000.00", "13"),
    ("HW-SVR", "机架式服务器 2U", "台", "45800.00", "13"),
    ("SVC-IMPL", "实施服务", "人天", "2500.00", "6"),
    ("SVC-TRAIN", "现场培训", "天", "3000.00", "6"),
    ("SVC-OPS", "年度运维服务", "年", "36000.00", "6"),
    ("SVC-SEC", "等保测评咨询", "项", "58000.00", "6"),
]
TERMS = (
    "1. 付款方式：合同签订后预付 30%，验收后支付 70%。\n"
    "2. 交付周期：合同生效后 30 个工作日内。\n"
    "3. 本报价含增值税专用发票。"
)


def demo_quotes(rng: random.Random, *, count: int = DEMO_QUOTES) -> int:
    """Create the catalogue, one partner price list and `count` quotes; returns the number of quotes."""
    if Product.objects.exists():
        return 0
    actor = system_actor("demo")
    with transaction.atomic():
        products = [
            product_create(
                actor=actor,
                values={"sku": sku, "name": name, "unit": unit, "list_price": price, "tax_rate": rate},
            )
            for sku, name, unit, price, rate in CATALOGUE
        ]
        partners = price_list_create(actor=actor, values={"name": "渠道合作伙伴价 2026"})
        for product in products[:6]:
            price_list_price_set(
                actor=actor,
                price_list_id=partners.pk,
                product_id=product.pk,
                unit_price=f"{product.list_price * rng.choice([80, 85, 90]) / 100:.2f}",
            )
    deals = list(Deal.objects.filter(stage__kind=StageKind.OPEN, stage__position__gte=2).order_by("id")[:count])
    drafts: list[Quote] = []
    for deal in deals:
        with transaction.atomic():
            price_list = partners if rng.random() < 0.2 else None
            quote = quote_create(
                actor=actor,
                deal_id=deal.pk,
                values={"terms": TERMS, "price_list_id": price_list.pk if price_list else None},
            )
            for product in rng.sample(products, rng.randrange(1, 4)):
                quote_line_add(
                    actor=actor,
                    quote_id=quote.pk,
                    version=Quote.objects.values_list("version", flat=True).get(pk=quote.pk),
                    values={
                        "product_id": product.pk,
                        "quantity": str(rng.choice([1, 2, 5, 10, 20, 50, 100])),
                        "discount_percent": str(rng.choice([0, 0, 5, 8, 10])),
                    },
                )
            if rng.random() < 0.4:
                # Sending needs a signed-in rep and a mail server; the demo records only the outcome.
                sent_at = min(deal.stage_entered_at + dt.timedelta(days=rng.randrange(1, 5)), timezone.now())
                Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.SENT, sent_at=sent_at)
            else:
                drafts.append(quote)
    demo_discount_approvals(rng, drafts)
    return len(deals)


def demo_discount_approvals(rng: random.Random, drafts: list[Quote]) -> int:
    """Give some reps' draft quotes a discount above their limit and submit them as the rep would; the
    managers approve a few and reject one, and the rest wait in their approval queues."""
    submitted = 0
    for quote in drafts:
        owner = quote.deal.owner
        if submitted >= DEMO_DISCOUNT_APPROVALS or owner is None or owner.team_id is None:
            continue
        if owner.role is None or owner.role.code != BuiltinRole.SALES_REP:
            continue
        line = quote.lines.order_by("position", "id").first()
        if line is None:
            continue
        try:
            with transaction.atomic():
                version = Quote.objects.values_list("version", flat=True).get(pk=quote.pk)
                quote_line_update(
                    actor=system_actor("demo"),
                    quote_id=quote.pk,
                    line_id=line.pk,
                    version=version,
                    values={"discount_percent": rng.choice(BIG_DISCOUNTS)},
                )
                version = Quote.objects.values_list("version", flat=True).get(pk=quote.pk)
                quote_request_approval(actor=web_actor(owner), quote_id=quote.pk, version=version)
                _decide_some(submitted, quote.pk)
        except DomainError:
            # A rep whose team has no manager above them cannot submit; the demo skips that quote.
            continue
        submitted += 1
    return submitted


def _decide_some(index: int, quote_id: int) -> None:
    """The first two approvals are approved, the third rejected; the others stay pending."""
    request = approval_open_for(APPROVAL_KIND, quote_id)
    if request is None or index > 2:
        return
    step = next(step for step in request.steps.all() if step.status == StepStatus.PENDING)
    approver = web_actor(step.assignees.all()[0].user)
    if index < 2:
        approval_approve(approver, request.pk, comment="客户为战略客户，同意本次折扣。")
    else:
        approval_reject(approver, request.pk, comment="折扣过高，请与客户重新沟通后调整。")
