"""How the approval engine sees a contract: the facts its step conditions test, its title and page,
and what its decision does (approved puts the contract in force; anything else returns it to draft)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.approvals.registry import ApprovalSubject
from crm.contracts.models import Contract
from crm.contracts.selectors import APPROVAL_KIND, contract_in_scope, contract_may_change
from crm.contracts.services import contract_apply_decision
from crm.core.actors import Actor


def contract_facts(contract: Contract) -> Mapping[str, Any]:
    return {
        "amount": contract.amount,
        "currency": contract.currency,
        "customer_grade": contract.customer.grade,
    }


def _on_decided(contract: Contract, outcome: str, actor: Actor) -> None:
    contract_apply_decision(actor=actor, contract_id=contract.pk, outcome=outcome)


CONTRACT_SUBJECT = ApprovalSubject(
    kind=APPROVAL_KIND,
    label=_("Contract"),
    model=Contract,
    facts=contract_facts,
    fact_labels={"amount": _("Amount"), "currency": _("Currency"), "customer_grade": _("Customer grade")},
    title=lambda contract: str(contract),
    url=lambda contract: reverse("contracts:detail", args=[contract.pk]),
    on_decided=_on_decided,
    # The engine adds its own approvers; what it asks here is the list rule (finance sees all).
    may_view=contract_in_scope,
    may_submit=contract_may_change,
)
