"""Demo deals: one pipeline with a few hundred deals spread over its stages, with full stage history."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crm.core.search import build_search_text, search_index_deferred
from crm.customers.models import Customer
from crm.deals.models import CloseReason, Deal, Objection, ObjectionType, Pipeline, Stage, StageChange, StageKind
from crm.deals.stage_totals import stage_totals_refresh
from crm.identity.models import User

DEMO_DEALS = 300
PRODUCTS = [
    "云桌面采购",
    "ERP 升级",
    "数据中台建设",
    "智能仓储系统",
    "年度运维服务",
    "安全等保改造",
    "CRM 实施",
    "视频会议系统",
]
COMPETITORS = ["", "", "用友", "金蝶", "Salesforce", "纷享销客", "销售易"]
# Where the demo deals sit: mostly open, a fifth of them closed.
SPREAD: list[tuple[int | str, int]] = [(0, 30), (1, 25), (2, 20), (3, 10), ("won", 8), ("lost", 7)]


def demo_deals(rng: random.Random, *, count: int = DEMO_DEALS) -> int:
    """Bulk-create `count` deals on the first customers, each with the stage history of its path."""
    pipeline = Pipeline.objects.order_by("-is_default", "position", "id").first()
    if pipeline is None:
        return 0
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    won = next(s for s in stages if s.kind == StageKind.WON)
    lost = next(s for s in stages if s.kind == StageKind.LOST)
    reasons: dict[str, list[CloseReason]] = {
        kind: list(CloseReason.objects.filter(kind=kind)) for kind in (StageKind.WON, StageKind.LOST)
    }
    customers = list(Customer.objects.order_by("id").values_list("pk", "name", "owner_id", "team_id")[:count])
    owners = {user.pk: user for user in User.objects.filter(pk__in={c[2] for c in customers})}
    now = timezone.now()
    weights = [weight for _slot, weight in SPREAD]
    deals: list[Deal] = []
    paths: list[list[tuple[Stage, dt.datetime]]] = []
    for number, (customer_id, customer_name, owner_id, team_id) in enumerate(customers):
        slot = rng.choices([slot for slot, _weight in SPREAD], weights)[0]
        steps = open_stages if isinstance(slot, str) else open_stages[: slot + 1]
        if slot == "lost":
            steps = open_stages[: rng.randrange(1, len(open_stages) + 1)]
        path_stages = [*steps, won] if slot == "won" else [*steps, lost] if slot == "lost" else steps
        moment = now - dt.timedelta(days=rng.randrange(20, 200))
        path: list[tuple[Stage, dt.datetime]] = []
        for stage in path_stages:
            path.append((stage, moment))
            moment = min(now - dt.timedelta(hours=1), moment + dt.timedelta(days=rng.randrange(2, 25)))
        current, entered = path[-1]
        amount = Decimal(rng.randrange(20, 3000) * 1000)
        closed = current.kind != StageKind.OPEN
        deal = Deal(
            name=f"{PRODUCTS[number % len(PRODUCTS)]}项目",
            customer_id=customer_id,
            pipeline=pipeline,
            stage=current,
            furthest_stage=max(
                (stage for stage, _moment in path if stage.kind != StageKind.LOST), key=lambda stage: stage.position
            ),
            lost_from_stage=path[-2][0] if current.kind == StageKind.LOST else None,
            amount=amount,
            budget=amount * Decimal("1.1") if current.position >= 1 else None,
            expected_close_on=(now + dt.timedelta(days=rng.randrange(-30, 150))).date(),
            probability=current.probability,
            stage_entered_at=entered,
            closed_at=entered if closed else None,
            close_reason=rng.choice(reasons[current.kind]) if closed else None,
            competitor=rng.choice(COMPETITORS) if current.kind == StageKind.LOST else "",
            owner=owners[owner_id],
            team_id=team_id,
            created_at=path[0][1],
            updated_at=entered,
        )
        deal.search_text = build_search_text(names=[deal.name, customer_name])
        deals.append(deal)
        paths.append(path)
    with transaction.atomic(), search_index_deferred(Deal):
        Deal.objects.bulk_create(deals, batch_size=500)
        changes = []
        for deal, path in zip(deals, paths, strict=True):
            previous: tuple[Stage, dt.datetime] | None = None
            for stage, moment in path:
                changes.append(
                    StageChange(
                        deal=deal,
                        from_stage=previous[0] if previous else None,
                        to_stage=stage,
                        moved_at=moment,
                        moved_by=deal.owner,
                        actor_name=str(deal.owner),
                        time_in_from_stage=moment - previous[1] if previous else None,
                        deal_created_at=deal.created_at,
                    )
                )
                previous = (stage, moment)
        StageChange.objects.bulk_create(changes, batch_size=2000)
        Objection.objects.bulk_create(_objections(rng, deals, paths), batch_size=2000)
        stage_totals_refresh()  # the deals went in past the services that keep the totals
    return len(deals)


RESPONSES = {
    "价格太高": ["按三年总拥有成本对比，我们更低", "可分两期付款", "申请了首年 9 折"],
    "预算不足": ["先上核心模块，二期再扩展", "协助客户申请专项预算"],
    "需要内部评估": ["提供评估清单和同行案例", "安排技术交流会"],
    "已有供应商": ["先做小范围试点对比", "提供迁移方案与数据导入服务"],
}


def _objections(rng: random.Random, deals: list[Deal], paths: list[list[tuple[Stage, dt.datetime]]]) -> list[Objection]:
    """About a third of the deals heard an objection in one of the stages they passed."""
    kinds = {kind.name: kind for kind in ObjectionType.objects.all()}
    usable = [name for name in RESPONSES if name in kinds]
    objections = []
    for deal, path in zip(deals, paths, strict=True):
        if not usable or rng.random() > 0.35:
            continue
        stage, entered = path[rng.randrange(len(path))]
        if stage.kind != StageKind.OPEN:
            continue
        name = rng.choice(usable)
        objections.append(
            Objection(
                deal=deal,
                stage=stage,
                kind=kinds[name],
                customer_words=rng.choice(
                    ["你们比别家贵不少", "今年预算已经定了", "要等领导开会再说", "我们用现在的系统挺好"]
                ),
                response=rng.choice(RESPONSES[name]),
                outcome=rng.choice(["resolved", "resolved", "unresolved", "open"]),
                raised_at=entered + dt.timedelta(hours=rng.randrange(1, 48)),
                logged_by=deal.owner,
            )
        )
    return objections
