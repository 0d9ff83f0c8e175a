"""Demo contracts on the won demo deals: some in force (approved by the managers), some waiting for
approval, one ending soon (so its renewal reminder shows) and a draft or two."""

from __future__ import annotations

import datetime as dt
import random

from crm.approvals.selectors import approval_open_for, current_step
from crm.approvals.services import approval_approve
from crm.contracts.models import Contract, ContractStatus
from crm.contracts.selectors import APPROVAL_KIND
from crm.contracts.services import contract_create_from_deal, contract_submit, contract_update
from crm.core import clock
from crm.core.actors import Actor, Source, system_actor
from crm.deals.models import Deal, StageKind
from crm.identity.models import User

DEMO_CONTRACTS = 8


def _as(user: User) -> Actor:
    return Actor(user=user, source=Source.WEB)


def _approve_all(contract: Contract) -> None:
    """Let each step's first approver approve, as the managers would during the day."""
    for _step in range(5):
        request = approval_open_for(APPROVAL_KIND, contract.pk)
        step = current_step(request) if request is not None else None
        if request is None or step is None:
            return
        approver = next((assignee.user for assignee in step.assignees.all()), None)
        if approver is None:
            return
        approval_approve(_as(approver), request.pk, comment="同意")


def demo_contracts(rng: random.Random, *, count: int = DEMO_CONTRACTS) -> int:
    """Draft contracts from up to `count` won deals and take most of them through approval."""
    if Contract.all_objects.exists():
        return 0
    deals = list(
        Deal.objects.filter(stage__kind=StageKind.WON).select_related("owner").order_by("-closed_at", "id")[:count]
    )
    today = clock.today()
    made = 0
    for index, deal in enumerate(deals):
        owner = _as(deal.owner)
        contract = contract_create_from_deal(actor=system_actor("demo"), deal_id=deal.pk)
        # Signed a few days after the deal was won, and never in the future.
        won_on = deal.closed_at.date() if deal.closed_at else today
        signed = min(today, won_on + dt.timedelta(days=rng.randint(1, 10)))
        starts = signed + dt.timedelta(days=7)
        ends = starts + dt.timedelta(days=365 * rng.choice((1, 1, 3)) - 1)
        if index == 0:
            # One signed a year ago that ends within the renewal notice period, so its reminder shows.
            ends = today + dt.timedelta(days=20)
            starts, signed = ends - dt.timedelta(days=364), ends - dt.timedelta(days=371)
        contract = contract_update(
            actor=owner,
            contract_id=contract.pk,
            version=contract.version,
            values={"signed_on": signed, "starts_on": starts, "ends_on": ends},
        )
        if index < len(deals) - 2:
            contract = contract_submit(actor=owner, contract_id=contract.pk, version=contract.version)
            if index % 3 != 2 and contract.status == ContractStatus.PENDING_APPROVAL:
                _approve_all(contract)
        made += 1
    return made
