"""A stand-in record kind for the engine's tests: "memo" approvals on rows the tests create.

The engine sits below every app whose records it approves, so its own tests cannot use contracts or
quotes. An API token row serves as the record: it has an owner (its user), and so a visibility answer,
while the facts its step conditions test come from the test itself.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from crm.access.visibility import can_see
from crm.approvals.models import ApprovalFlow, ApprovalStep
from crm.approvals.registry import ApprovalSubject, register_subject
from crm.approvals.services import flow_save, flow_step_add
from crm.core.actors import Actor, system_actor
from crm.identity.models import ApiToken, User

KIND = "memo"
ADMIN = system_actor("test")
FACTS: dict[int, dict[str, Any]] = {}
DECIDED: list[tuple[int, str, str]] = []


def _may_view(actor: Actor, record: ApiToken) -> bool:
    return can_see(actor, owner_id=record.user_id, team_id=record.user.team_id)


def _may_submit(actor: Actor, record: ApiToken) -> bool:
    return actor.user_id == record.user_id


def _on_decided(record: ApiToken, outcome: str, actor: Actor) -> None:
    DECIDED.append((record.pk, outcome, actor.label))


MEMO = ApprovalSubject(
    kind=KIND,
    label="合同",
    model=ApiToken,
    facts=lambda record: FACTS.get(record.pk, {}),
    fact_labels={"amount": "金额", "currency": "币种", "customer_grade": "客户分级", "discount_percent": "折扣"},
    title=lambda record: record.name,
    url=lambda record: f"/memos/{record.pk}/",
    on_decided=_on_decided,
    may_view=_may_view,
    may_submit=_may_submit,
)


def register_memo() -> None:
    register_subject(MEMO)
    FACTS.clear()
    DECIDED.clear()


def a_record(owner: User, title: str = "星河科技 云桌面采购合同", **facts: Any) -> ApiToken:
    record = ApiToken.objects.create(user=owner, name=title, prefix="memo", key_hash=secrets.token_hex(32))
    values: dict[str, Any] = {"amount": Decimal("200000.00"), "currency": "CNY", "customer_grade": "B"}
    values.update(facts)
    FACTS[record.pk] = values
    return record


def a_flow(*steps: dict[str, Any], name: str = "合同审批") -> ApprovalFlow:
    flow = flow_save(ADMIN, kind=KIND, name=name)
    for values in steps:
        flow_step_add(ADMIN, kind=KIND, values=values)
    return flow


def manager_step(name: str = "部门经理", **extra: Any) -> dict[str, Any]:
    return {"name": name, "approver_kind": "manager", **extra}


def chain_step(levels: int, name: str = "逐级审批", **extra: Any) -> dict[str, Any]:
    return {"name": name, "approver_kind": "manager_chain", "levels": levels, **extra}


def user_step(user: User, name: str = "指定审批人", **extra: Any) -> dict[str, Any]:
    return {"name": name, "approver_kind": "user", "approver_user_id": user.pk, **extra}


def role_step(role_id: int, name: str = "角色审批", **extra: Any) -> dict[str, Any]:
    return {"name": name, "approver_kind": "role", "approver_role_id": role_id, **extra}


def steps_of(flow: ApprovalFlow) -> list[ApprovalStep]:
    return list(flow.steps.order_by("position"))
