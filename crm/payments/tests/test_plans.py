"""Payment plans: instalments add up to the contract amount; collected money stays where it is."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Org, make_user
from crm.audit.models import AuditEntry, Verb
from crm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.identity.models import BuiltinRole
from crm.payments.errors import CollectedAmountLocked, PlanMismatch
from crm.payments.models import Instalment, PaymentPlan
from crm.payments.services.plans import payment_plan_set
from crm.payments.tests.factories import a_contract, a_payment, a_plan, money

MARCH = dt.date(2026, 3, 31)
JUNE = dt.date(2026, 6, 30)
SEPT = dt.date(2026, 9, 30)


def test_plan_is_saved_numbered_and_audited(org: Org) -> None:
    # given an active contract of 100,000
    contract = a_contract(org.rep_a1)

    # when the owner plans two instalments
    plan = payment_plan_set(
        actor=org.actor(org.rep_a1),
        contract_id=contract.pk,
        version=0,
        instalments=[
            {"amount": "30000.00", "due_on": "2026-03-31", "note": "预付款"},
            {"amount": "70000", "due_on": "2026-06-30", "note": "验收款"},
        ],
    )

    # then both are stored with exact amounts and the plan is audited
    rows = list(Instalment.objects.filter(contract=contract).values_list("number", "amount", "due_on", "note"))
    assert rows == [(1, money("30000.00"), MARCH, "预付款"), (2, money("70000.00"), JUNE, "验收款")]
    assert plan.version == 1
    entry = AuditEntry.objects.get(target_type="payments.paymentplan", target_id=plan.pk)
    assert entry.verb == Verb.CREATE
    assert entry.changes["instalments"] == [[], ["30000.00 @ 2026-03-31", "70000.00 @ 2026-06-30"]]


def test_plan_that_does_not_add_up_names_the_field_and_the_difference(org: Org) -> None:
    # given a contract of 100,000
    contract = a_contract(org.rep_a1)

    # when the instalments add up to 99,999.99
    with pytest.raises(PlanMismatch) as caught:
        payment_plan_set(
            actor=org.actor(org.rep_a1),
            contract_id=contract.pk,
            version=0,
            instalments=[{"amount": "50000", "due_on": "2026-03-31"}, {"amount": "49999.99", "due_on": "2026-06-30"}],
        )

    # then the error names the instalments and the missing cent
    assert caught.value.errors[0].field == "instalments"
    assert caught.value.message == "分期合计 99999.99，但合同金额为 100000.00（相差 0.01）。"
    assert not PaymentPlan.objects.filter(contract=contract).exists()


def test_bad_rows_are_all_reported_with_their_position(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    with pytest.raises(ValidationFailed) as caught:
        payment_plan_set(
            actor=org.actor(org.rep_a1),
            contract_id=contract.pk,
            version=0,
            instalments=[{"amount": "-5", "due_on": "2026-03-31"}, {"amount": "1.234", "due_on": "31/06/2026"}],
        )

    assert [error.field for error in caught.value.errors] == [
        "instalments.1.amount",
        "instalments.2.amount",
        "instalments.2.due_on",
    ]


def test_edit_with_a_stale_version_is_a_conflict(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("100000.00", JUNE))

    with pytest.raises(Conflict):
        payment_plan_set(
            actor=org.actor(org.rep_a1),
            contract_id=contract.pk,
            version=0,
            instalments=[{"amount": "100000", "due_on": "2026-07-31"}],
        )


def test_collected_instalment_cannot_be_removed_or_shrunk_below_its_collections(org: Org) -> None:
    # given a plan whose first instalment has 10,000 collected
    contract = a_contract(org.rep_a1)
    first, second = a_plan(contract, ("30000.00", MARCH), ("70000.00", JUNE))
    a_payment(contract, "10000.00")
    actor = org.actor(org.rep_a1)

    # when the first instalment is left out, then refused
    with pytest.raises(CollectedAmountLocked) as removed:
        payment_plan_set(
            actor=actor,
            contract_id=contract.pk,
            version=1,
            instalments=[{"id": second.pk, "amount": "100000", "due_on": "2026-06-30"}],
        )
    assert removed.value.message == "第 1 期已回款 10000.00，不能删除。"

    # when it is made smaller than what it collected, then refused naming the amount field
    with pytest.raises(CollectedAmountLocked) as shrunk:
        payment_plan_set(
            actor=actor,
            contract_id=contract.pk,
            version=1,
            instalments=[
                {"id": first.pk, "amount": "9999.99", "due_on": "2026-03-31"},
                {"id": second.pk, "amount": "90000.01", "due_on": "2026-06-30"},
            ],
        )
    assert shrunk.value.errors[0].field == "instalments.1.amount"

    # and splitting the unpaid rest differently is allowed
    payment_plan_set(
        actor=actor,
        contract_id=contract.pk,
        version=1,
        instalments=[
            {"id": first.pk, "amount": "10000", "due_on": "2026-03-31"},
            {"id": second.pk, "amount": "50000", "due_on": "2026-06-30"},
            {"amount": "40000", "due_on": "2026-09-30"},
        ],
    )
    rows = list(Instalment.objects.filter(contract=contract).values_list("number", "amount", "collected"))
    assert rows == [
        (1, money("10000.00"), money("10000.00")),
        (2, money("50000.00"), money("0.00")),
        (3, money("40000.00"), money("0.00")),
    ]


def test_fully_paid_instalment_keeps_its_due_date(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    first, second = a_plan(contract, ("30000.00", MARCH), ("70000.00", JUNE))
    a_payment(contract, "30000.00")

    with pytest.raises(CollectedAmountLocked):
        payment_plan_set(
            actor=org.actor(org.rep_a1),
            contract_id=contract.pk,
            version=1,
            instalments=[
                {"id": first.pk, "amount": "30000", "due_on": "2026-04-30"},
                {"id": second.pk, "amount": "70000", "due_on": "2026-06-30"},
            ],
        )


def test_moving_a_due_date_clears_the_notice_marks(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    (only,) = a_plan(contract, ("100000.00", MARCH))
    Instalment.objects.filter(pk=only.pk).update(owner_told_on=MARCH, manager_told_on=MARCH)

    payment_plan_set(
        actor=org.actor(org.rep_a1),
        contract_id=contract.pk,
        version=1,
        instalments=[{"id": only.pk, "amount": "100000", "due_on": "2026-09-30"}],
    )

    only.refresh_from_db()
    assert (only.due_on, only.owner_told_on, only.manager_told_on) == (SEPT, None, None)


def test_hidden_contract_is_not_found_and_a_read_only_colleague_is_refused(org: Org) -> None:
    # given a contract of rep_a1 and an after-sales colleague who sees the team's records
    contract = a_contract(org.rep_a1)
    colleague = make_user("after_sales_a", BuiltinRole.AFTER_SALES, org.east_a)
    rows = [{"amount": "100000", "due_on": "2026-06-30"}]

    # then a rep of another team and a rep of the same team who does not own it get NotFound
    with pytest.raises(NotFound):
        payment_plan_set(actor=org.actor(org.rep_n1), contract_id=contract.pk, version=0, instalments=rows)
    with pytest.raises(NotFound):
        payment_plan_set(actor=org.actor(org.rep_a2), contract_id=contract.pk, version=0, instalments=rows)
    # and the colleague who sees it may not change it
    with pytest.raises(PermissionDenied):
        payment_plan_set(actor=org.actor(colleague), contract_id=contract.pk, version=0, instalments=rows)
    assert not Instalment.objects.filter(contract=contract).exists()


def test_finance_and_the_team_manager_may_plan(org: Org) -> None:
    contract = a_contract(org.rep_a1)

    payment_plan_set(
        actor=org.actor(org.finance),
        contract_id=contract.pk,
        version=0,
        instalments=[{"amount": "100000", "due_on": "2026-06-30"}],
    )
    payment_plan_set(
        actor=org.actor(org.east_a_manager),
        contract_id=contract.pk,
        version=1,
        instalments=[{"amount": "100000", "due_on": "2026-07-31"}],
    )

    assert PaymentPlan.objects.get(contract=contract).version == 2
