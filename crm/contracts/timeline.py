"""Contracts on the customer's timeline: when each was drafted and every change of its status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crm.activities.timeline_sources import TimelineEvent
from crm.audit.models import Verb
from crm.audit.selectors import history_of
from crm.contracts.models import Contract, ContractStatus
from crm.contracts.selectors import CONTRACT_TYPE, contracts_of_customer
from crm.core.actors import Actor

# A customer with more contracts than this shows the newest ones; the contracts card lists the rest.
CONTRACTS_SHOWN = 20


def _status_label(value: object) -> str:
    try:
        return str(ContractStatus(str(value)).label)
    except ValueError:
        return str(value)


def contract_events(
    viewer: Actor, customer: Any, limit: int, before: dt.datetime | None = None
) -> Iterable[TimelineEvent]:
    contracts: dict[int, Contract] = {
        c.pk: c for c in contracts_of_customer(viewer=viewer, customer_id=customer.pk, limit=CONTRACTS_SHOWN)
    }
    label = pgettext("timeline badge", "Contract")
    for entry in history_of(target_type=CONTRACT_TYPE, target_ids=list(contracts), limit=limit, before=before):
        contract = contracts[entry.target_id or 0]
        title = f"{contract.number} {contract.title}"
        url = reverse("contracts:detail", args=[contract.pk])
        status = (entry.changes or {}).get("status")
        if entry.verb == Verb.CREATE:
            detail = _("Drafted by %(name)s") % {"name": entry.actor_name}
        elif isinstance(status, list) and len(status) == 2:
            detail = _("%(old)s → %(new)s, by %(name)s") % {
                "old": _status_label(status[0]),
                "new": _status_label(status[1]),
                "name": entry.actor_name,
            }
        else:
            continue  # edits of terms and lines stay on the contract's own history
        yield TimelineEvent(at=entry.created_at, label=label, title=title, url=url, detail=detail)
