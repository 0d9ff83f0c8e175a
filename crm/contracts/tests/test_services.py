"""Contract services: creation from a won deal or a customer, dates, the approval lock, status changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import Org
from crm.approvals.models import ApprovalRequest
from crm.approvals.services import approval_approve, approval_reject
from crm.audit.models import AuditEntry, Verb
from crm.contracts.errors import ContractLocked, ContractNotSubmittable
from crm.contracts.models import ContractLine, ContractStatus
from crm.contracts.services import (
    contract_create_from_deal,
    contract_delete,
    contract_line_add,
    contract_submit,
    contract_terminate,
    contract_update,
)
from crm.contracts.tests.factories import (
    ADMIN,
    a_contract,
    a_contract_from_deal,
    a_manager_flow,
    a_won_deal,
    an_accepted_quote,
    fresh,
)
from crm.core.errors import Conflict, PermissionDenied, ValidationFailed
from crm.deals.tests.factories import a_deal
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.tests.factories import a_line, a_quote


def _fields(error: ValidationFailed) -> dict[str, str]:
    return {item.field: item.message for item in error.errors}


# From a won deal ---------------------------------------------------------------------------------


def test_a_won_deal_becomes_a_draft_with_the_accepted_quotes_lines(org: Org) -> None:
    # given a won deal whose accepted quote has two lines
    deal = a_won_deal(org.rep_a1, name="华信云桌面二期")
    quote = an_accepted_quote(deal)

    # when the rep drafts the contract from it
    contract = contract_create_from_deal(actor=org.actor(org.rep_a1), deal_id=deal.pk)

    # then customer, owner, amount, currency and the lines come from the deal and its quote
    assert contract.status == ContractStatus.DRAFT
    assert (contract.customer_id, contract.owner_id, contract.team_id) == (
        deal.customer_id,
        org.rep_a1.pk,
        org.east_a.pk,
    )
    assert (contract.deal_id, contract.quote_id, contract.title) == (deal.pk, quote.pk, "华信云桌面二期")
    assert contract.amount == quote.total == Decimal("8012.00")
    lines = list(ContractLine.objects.filter(contract=contract).order_by("position"))
    assert [(line.name, line.quantity, line.unit_price, line.tax_rate, line.total) for line in lines] == [
        ("云桌面标准版授权", Decimal("2.000"), Decimal("1200.00"), Decimal("13.00"), Decimal("2712.00")),
        ("实施服务", Decimal("1.000"), Decimal("5000.00"), Decimal("6.00"), Decimal("5300.00")),
    ]
    assert lines[0].sku == f"YZM-{deal.pk}"
    assert contract.customer_party == deal.customer.name
    entry = AuditEntry.objects.get(target_type="contracts.contract", target_id=contract.pk, verb=Verb.CREATE)
    assert entry.changes["lines"] == [None, 2]
    assert entry.changes["deal"] == [None, deal.pk]


def test_without_an_accepted_quote_the_latest_sent_quote_is_carried(org: Org) -> None:
    # given a won deal with an older and a newer sent quote, none accepted
    deal = a_won_deal(org.rep_a1)
    older = a_quote(deal)
    a_line(older)
    newer = a_quote(deal)
    a_line(newer, quantity="3")
    Quote.objects.filter(pk=older.pk).update(status=QuoteStatus.SENT, sent_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    Quote.objects.filter(pk=newer.pk).update(status=QuoteStatus.SENT, sent_at=dt.datetime(2026, 2, 5, tzinfo=dt.UTC))

    # when the contract is drafted
    contract = contract_create_from_deal(actor=org.actor(org.rep_a1), deal_id=deal.pk)

    # then the newer quote is the source
    assert contract.quote_id == newer.pk
    assert contract.amount == Decimal("15900.00")


def test_a_won_deal_without_quotes_carries_its_own_amount(org: Org) -> None:
    deal = a_won_deal(org.rep_a1, amount="88000.00", currency="USD")

    contract = contract_create_from_deal(actor=org.actor(org.rep_a1), deal_id=deal.pk)

    assert (contract.amount, contract.currency, contract.quote_id) == (Decimal("88000.00"), "USD", None)
    assert ContractLine.objects.filter(contract=contract).count() == 0


def test_an_open_deal_does_not_become_a_contract(org: Org) -> None:
    deal = a_deal(org.rep_a1)

    with pytest.raises(ValidationFailed) as refused:
        contract_create_from_deal(actor=org.actor(org.rep_a1), deal_id=deal.pk)

    assert _fields(refused.value) == {"deal": "只有赢单的商机才能生成合同。"}


def test_one_deal_makes_one_contract(org: Org) -> None:
    # given a deal that already has its contract
    contract = a_contract_from_deal(org.rep_a1)

    # when someone tries a second one
    with pytest.raises(ValidationFailed) as refused:
        contract_create_from_deal(actor=org.actor(org.rep_a1), deal_id=contract.deal_id or 0)

    # then the existing number is named
    assert contract.number in _fields(refused.value)["deal"]


def test_a_rep_cannot_draft_a_contract_from_a_colleagues_deal(org: Org) -> None:
    deal = a_won_deal(org.rep_b1)

    with pytest.raises(Exception) as refused:  # noqa: PT011  (hidden deals are a NotFound)
        contract_create_from_deal(actor=org.actor(org.rep_a1), deal_id=deal.pk)

    assert getattr(refused.value, "code", "") == "not_found"


# Fields -----------------------------------------------------------------------------------------


def test_an_end_date_before_the_start_is_refused_with_the_field_named(org: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        a_contract(org.rep_a1, starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2026, 4, 30))

    assert _fields(refused.value) == {"ends_on": "结束日期不能早于开始日期。"}


def test_changing_only_the_end_date_is_checked_against_the_saved_start(org: Org) -> None:
    contract = a_contract(org.rep_a1, starts_on=dt.date(2026, 5, 1), ends_on=dt.date(2027, 4, 30))

    with pytest.raises(ValidationFailed) as refused:
        contract_update(
            actor=org.actor(org.rep_a1),
            contract_id=contract.pk,
            version=contract.version,
            values={"ends_on": "2026-01-01"},
        )

    assert list(_fields(refused.value)) == ["ends_on"]


def test_every_bad_field_is_reported_at_once(org: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        a_contract(org.rep_a1, title="", amount="-5", currency="人民币", signed_on="2026-13-01")

    assert set(_fields(refused.value)) == {"title", "amount", "currency", "signed_on"}


def test_update_is_audited_and_refuses_a_stale_version(org: Org) -> None:
    # given a draft contract
    contract = a_contract(org.rep_a1)
    stale = contract.version

    # when the owner changes the title
    contract_update(
        actor=org.actor(org.rep_a1), contract_id=contract.pk, version=stale, values={"title": "云桌面三年服务合同"}
    )

    # then it is saved and audited, and a second edit from the old version is a conflict
    assert fresh(contract).title == "云桌面三年服务合同"
    entry = AuditEntry.objects.filter(target_id=contract.pk, verb=Verb.UPDATE).latest("id")
    assert entry.changes == {"title": ["云桌面年度服务合同", "云桌面三年服务合同"]}
    with pytest.raises(Conflict):
        contract_update(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=stale, values={"notes": "x"})


def test_a_colleague_who_sees_but_does_not_own_may_not_edit(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    with pytest.raises(PermissionDenied):
        contract_update(
            actor=org.actor(org.finance), contract_id=contract.pk, version=contract.version, values={"title": "改"}
        )


def test_lines_replace_all_and_step_the_version_once(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    contract_update(
        actor=org.actor(org.rep_a1),
        contract_id=contract.pk,
        version=contract.version,
        values={"lines": [{"name": "运维服务", "quantity": "12", "unit": "月", "unit_price": "1000", "tax_rate": "6"}]},
    )

    saved = fresh(contract)
    assert saved.version == contract.version + 1
    assert list(saved.lines.values_list("name", "total")) == [("运维服务", Decimal("12720.00"))]


# Approval, lock and status ----------------------------------------------------------------------


def test_submitting_locks_the_contract_until_the_manager_approves(org: Org) -> None:
    # given a manager approval flow and a complete draft
    a_manager_flow()
    contract = a_contract(org.rep_a1)

    # when the rep submits it
    submitted = contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)

    # then it waits for approval and refuses every edit
    assert submitted.status == ContractStatus.PENDING_APPROVAL
    with pytest.raises(ContractLocked) as locked:
        contract_update(
            actor=org.actor(org.rep_a1), contract_id=contract.pk, version=submitted.version, values={"title": "改"}
        )
    assert locked.value.code == "contract_locked"
    with pytest.raises(ContractLocked):
        contract_line_add(
            actor=org.actor(org.rep_a1),
            contract_id=contract.pk,
            version=submitted.version,
            values={"name": "加购", "unit_price": "1"},
        )
    with pytest.raises(ContractLocked):
        contract_delete(actor=org.actor(org.rep_a1), contract_id=contract.pk)

    # when the team's manager approves
    request = ApprovalRequest.objects.get(kind="contract", target_id=contract.pk)
    approval_approve(org.actor(org.east_a_manager), request.pk)

    # then the contract is in force
    active = fresh(contract)
    assert active.status == ContractStatus.ACTIVE
    assert active.activated_at is not None


def test_a_rejected_contract_returns_to_draft_and_can_change_again(org: Org) -> None:
    a_manager_flow()
    contract = a_contract(org.rep_a1)
    contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)
    request = ApprovalRequest.objects.get(kind="contract", target_id=contract.pk)

    approval_reject(org.actor(org.east_a_manager), request.pk, comment="金额与报价不符")

    back = fresh(contract)
    assert back.status == ContractStatus.DRAFT
    contract_update(
        actor=org.actor(org.rep_a1), contract_id=contract.pk, version=back.version, values={"notes": "已修改"}
    )
    assert fresh(contract).notes == "已修改"


def test_without_a_flow_a_submitted_contract_is_in_force_at_once(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    submitted = contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)

    assert submitted.status == ContractStatus.ACTIVE


def test_an_incomplete_contract_cannot_be_submitted(org: Org) -> None:
    contract = a_contract(org.rep_a1, starts_on=None, ends_on=None, amount="0")

    with pytest.raises(ContractNotSubmittable) as refused:
        contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)

    assert [item.field for item in refused.value.errors] == ["starts_on", "ends_on", "amount"]
    assert fresh(contract).status == ContractStatus.DRAFT


def test_termination_needs_an_active_contract_and_a_reason(org: Org) -> None:
    # given an active contract
    contract = a_contract(org.rep_a1)
    active = contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)

    # when it is terminated without a reason, then the reason is asked for
    with pytest.raises(ValidationFailed) as refused:
        contract_terminate(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=active.version, reason=" ")
    assert _fields(refused.value) == {"reason": "请说明终止合同的原因。"}

    # when it is terminated with one
    contract_terminate(
        actor=org.actor(org.rep_a1),
        contract_id=contract.pk,
        version=active.version,
        reason="客户经营调整，双方协商解除",
    )

    # then it is terminated, the reason kept and audited, and it cannot be terminated twice
    ended = fresh(contract)
    assert (ended.status, ended.termination_reason) == (ContractStatus.TERMINATED, "客户经营调整，双方协商解除")
    entry = AuditEntry.objects.filter(target_id=contract.pk, verb=Verb.UPDATE).latest("id")
    assert entry.changes["status"] == ["active", "terminated"]
    with pytest.raises(ContractLocked):
        contract_terminate(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=ended.version, reason="再次")


def test_a_draft_cannot_be_terminated(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    with pytest.raises(ContractLocked):
        contract_terminate(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version, reason="x")


def test_the_system_actor_creates_contracts_for_demo_and_imports(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    assert contract.created_by_id is None
    assert contract.number.startswith("HT-")
    assert ADMIN.is_system
