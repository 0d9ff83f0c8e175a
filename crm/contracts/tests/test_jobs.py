"""The scheduled jobs: renewal reminders once per contract, and expiry after the end date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import Org
from crm.audit.models import AuditEntry
from crm.contracts.models import Contract, ContractStatus
from crm.contracts.services import (
    contract_settings_update,
    contract_submit,
    contracts_expire,
    contracts_remind_renewals,
)
from crm.contracts.tests.factories import a_contract, fresh
from crm.core.actors import system_actor
from crm.core.errors import PermissionDenied
from crm.notifications.models import Notification, NotificationKind

JOB = system_actor("remind_contract_renewals")


def _active(org: Org, **values: Any) -> Contract:
    contract = a_contract(org.rep_a1, **values)
    return contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)


def test_the_owner_is_reminded_once_within_the_notice_period(org: Org) -> None:
    # given active contracts ending in 20, 30 and 31 days (notice period: 30 days by default)
    today = dt.date(2026, 6, 1)
    soon = _active(org, ends_on=today + dt.timedelta(days=20), title="二十天后到期")
    edge = _active(org, ends_on=today + dt.timedelta(days=30), title="三十天后到期")
    _active(org, ends_on=today + dt.timedelta(days=31), title="三十一天后到期")

    # when the job runs twice
    first = contracts_remind_renewals(actor=JOB, today=today)
    second = contracts_remind_renewals(actor=JOB, today=today)

    # then the two within the period are reminded, once each, in the owner's inbox
    assert (first, second) == (2, 0)
    notices = Notification.objects.filter(kind=NotificationKind.CONTRACT_RENEWAL).order_by("target_id")
    assert [(n.recipient_id, n.target_id) for n in notices] == [(org.rep_a1.pk, soon.pk), (org.rep_a1.pk, edge.pk)]
    assert notices[0].title == f"合同 {soon.number} 将于 2026-06-21 到期"
    assert notices[0].url == f"/contracts/{soon.pk}/"


def test_the_notice_period_is_the_administrators_setting(org: Org) -> None:
    today = dt.date(2026, 6, 1)
    _active(org, ends_on=today + dt.timedelta(days=50))
    contract_settings_update(actor=org.actor(org.admin), version=1, values={"renewal_notice_days": 60})

    assert contracts_remind_renewals(actor=JOB, today=today) == 1


def test_drafts_and_ended_contracts_are_not_reminded(org: Org) -> None:
    today = dt.date(2026, 6, 1)
    a_contract(org.rep_a1, ends_on=today + dt.timedelta(days=5))

    assert contracts_remind_renewals(actor=JOB, today=today) == 0


def test_active_contracts_past_their_end_date_expire_once(org: Org) -> None:
    # given one contract that ended yesterday and one that ends today
    today = dt.date(2026, 6, 1)
    ended = _active(org, ends_on=today - dt.timedelta(days=1))
    running = _active(org, ends_on=today)

    # when the expiry job runs twice
    counts = (
        contracts_expire(actor=system_actor("expire_contracts"), today=today),
        contracts_expire(actor=system_actor("expire_contracts"), today=today),
    )

    # then only the ended one expired, once, with an audit entry
    assert counts == (1, 0)
    assert (fresh(ended).status, fresh(running).status) == (ContractStatus.EXPIRED, ContractStatus.ACTIVE)
    entry = AuditEntry.objects.filter(target_id=ended.pk, actor_name="expire_contracts").get()
    assert entry.changes == {"status": ["active", "expired"]}


def test_people_cannot_run_the_jobs(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        contracts_expire(actor=org.actor(org.admin))
    with pytest.raises(PermissionDenied):
        contracts_remind_renewals(actor=org.actor(org.admin))
