"""Demo approval flows: what a typical company starts with. Called by the demo generator (`crm demo`)."""

from __future__ import annotations

from django.db import transaction

from crm.approvals.models import ApprovalFlow, ApproverKind
from crm.approvals.registry import is_registered
from crm.approvals.services import flow_save, flow_step_add
from crm.core.actors import system_actor
from crm.identity.models import BuiltinRole, Role


def demo_approval_flows() -> list[ApprovalFlow]:
    """Contracts: the submitter's manager, then the sales director from 1,000,000 CNY.

    Kinds whose app is not installed are left out, and an existing flow is never overwritten.
    """
    actor = system_actor("demo")
    director = Role.objects.filter(code=BuiltinRole.SALES_DIRECTOR).first()
    created: list[ApprovalFlow] = []
    if not is_registered("contract") or ApprovalFlow.objects.filter(kind="contract").exists():
        return created
    with transaction.atomic():
        flow = flow_save(actor, kind="contract", name="合同审批")
        flow_step_add(actor, kind="contract", values={"name": "直属经理审批", "approver_kind": ApproverKind.MANAGER})
        if director is not None:
            flow_step_add(
                actor,
                kind="contract",
                values={
                    "name": "销售总监审批（100万元及以上）",
                    "approver_kind": ApproverKind.ROLE,
                    "approver_role_id": director.pk,
                    "conditions": [
                        {"fact": "amount", "op": "gte", "value": "1000000"},
                        {"fact": "currency", "op": "eq", "value": "CNY"},
                    ],
                },
            )
        created.append(flow)
    return created
