"""Receivables and ageing: per group, by aggregate SQL, through visibility; the customer summary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import Org
from crm.contracts.models import ContractStatus
from crm.payments import selectors
from crm.payments.ageing import BUCKETS, bucket_of, due_range
from crm.payments.selectors import ReceivableFilters, contract_totals, customer_summary, receivables
from crm.payments.services.invoicing import invoice_issue
from crm.payments.tests.conftest import TODAY
from crm.payments.tests.factories import SYSTEM, a_contract, a_payment, a_plan, money


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def test_bucket_of_covers_every_overdue_day_once() -> None:
    assert bucket_of(0) is None
    assert [bucket_of(days).key for days in (1, 30, 31, 60, 61, 90, 91, 4000)] == [  # type: ignore[union-attr]
        "days_0_30",
        "days_0_30",
        "days_31_60",
        "days_31_60",
        "days_61_90",
        "days_61_90",
        "days_over_90",
        "days_over_90",
    ]
    assert due_range(BUCKETS[0], TODAY) == (days_ago(30), days_ago(1))
    assert due_range(BUCKETS[3], TODAY) == (None, days_ago(91))


def test_receivables_by_owner_with_ageing_buckets(org: Org, django_assert_num_queries: object) -> None:
    # given rep_a1's contract with instalments overdue by 10, 45, 75 and 120 days and one not yet due
    contract = a_contract(org.rep_a1, amount="150000.00")
    a_plan(
        contract,
        ("10000.00", days_ago(120)),
        ("20000.00", days_ago(75)),
        ("30000.00", days_ago(45)),
        ("40000.00", days_ago(10)),
        ("50000.00", TODAY),
    )
    a_payment(contract, "15000.00", on=days_ago(5))  # pays 10,000 of the oldest and 5,000 of the next
    invoice_issue(
        actor=SYSTEM,
        contract_id=contract.pk,
        values={"kind": "other", "number": "FP-1", "amount": "50000", "issued_on": "2026-05-01", "title": "星河"},
    )
    # and rep_b1's contract, all paid, and a draft contract that owes nothing yet
    other = a_contract(org.rep_b1, amount="8000.00")
    a_plan(other, ("8000.00", days_ago(40)))
    a_payment(other, "8000.00", on=days_ago(3))
    a_contract(org.rep_a1, amount="999.00", status=ContractStatus.DRAFT)

    # when the director reads receivables by owner
    report = receivables(viewer=org.actor(org.director), filters=ReceivableFilters(group_by="owner"), today=TODAY)

    # then each owner's figures add up exactly
    by_label = {row.label: row for row in report.rows}
    mine = by_label["张伟"]
    assert (mine.contracted, mine.invoiced, mine.collected, mine.outstanding, mine.overdue) == (
        money("150000.00"),
        money("50000.00"),
        money("15000.00"),
        money("135000.00"),
        money("85000.00"),
    )
    assert mine.bucket_values == [money("40000.00"), money("30000.00"), money("15000.00"), money("0.00")]
    theirs = by_label["王芳"]
    assert (theirs.outstanding, theirs.overdue) == (money("0.00"), money("0.00"))
    assert report.total.contracted == money("158000.00")
    assert sum(report.total.bucket_values, Decimal(0)) == report.total.overdue


def test_receivables_query_count_does_not_grow_with_rows(org: Org, django_assert_num_queries: object) -> None:
    for owner in (org.rep_a1, org.rep_a2, org.rep_b1):
        contract = a_contract(owner)
        a_plan(contract, ("50000.00", days_ago(40)), ("50000.00", days_ago(5)))
        a_payment(contract, "1000.00", on=days_ago(1))
    viewer = org.actor(org.director)
    receivables(viewer=viewer, filters=ReceivableFilters(group_by="team"), today=TODAY)  # warms the role cache

    # contracts with their running totals, ageing, labels
    with django_assert_num_queries(3):  # type: ignore[operator]
        report = receivables(viewer=viewer, filters=ReceivableFilters(group_by="team"), today=TODAY)

    assert [row.label for row in report.rows] == ["上海一组", "杭州组"]
    assert report.rows[0].overdue == money("198000.00")


def test_rep_sees_only_receivables_of_contracts_they_see(org: Org) -> None:
    mine = a_contract(org.rep_a1)
    a_plan(mine, ("100000.00", days_ago(1)))
    theirs = a_contract(org.rep_n1)
    a_plan(theirs, ("100000.00", days_ago(1)))

    report = receivables(viewer=org.actor(org.rep_a1), filters=ReceivableFilters(group_by="contract"), today=TODAY)
    finance = receivables(viewer=org.actor(org.finance), filters=ReceivableFilters(group_by="contract"), today=TODAY)

    assert [row.key for row in report.rows] == [mine.pk]
    assert {row.key for row in finance.rows} == {mine.pk, theirs.pk}


def test_groups_beyond_the_report_limit_are_counted_in_the_total_but_not_listed(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given three contracts with 30,000, 20,000 and 10,000 outstanding and a report limited to two rows
    for amount in ("30000.00", "20000.00", "10000.00"):
        a_contract(org.rep_a1, amount=amount)
    monkeypatch.setattr(selectors, "REPORT_ROWS", 2)

    # when finance groups the receivables by contract
    report = receivables(viewer=org.actor(org.finance), filters=ReceivableFilters(group_by="contract"), today=TODAY)

    # then the two largest are listed, the third is counted, and the total covers all three
    assert [row.outstanding for row in report.rows] == [money("30000.00"), money("20000.00")]
    assert report.omitted == 1
    assert report.total.outstanding == money("60000.00")


def test_filters_by_team_subtree_and_customer(org: Org) -> None:
    east = a_contract(org.rep_b1)
    a_contract(org.rep_n1)
    director = org.actor(org.director)

    by_team = receivables(viewer=director, filters=ReceivableFilters(team_id=org.east.pk), today=TODAY)
    by_customer = receivables(
        viewer=director, filters=ReceivableFilters(customer_id=east.customer_id, group_by="customer"), today=TODAY
    )

    assert [row.label for row in by_team.rows] == ["王芳"]
    assert [row.key for row in by_customer.rows] == [east.customer_id]


def test_contract_totals_and_customer_summary(org: Org) -> None:
    contract = a_contract(org.rep_a1)
    a_plan(contract, ("30000.00", days_ago(10)), ("70000.00", TODAY + dt.timedelta(days=30)))
    a_payment(contract, "20000.00", on=days_ago(2))

    totals = contract_totals(contract=contract, today=TODAY)
    summary = customer_summary(viewer=org.actor(org.rep_a1), customer_id=contract.customer_id, today=TODAY)
    hidden = customer_summary(viewer=org.actor(org.rep_n1), customer_id=contract.customer_id, today=TODAY)

    assert (totals.planned, totals.collected, totals.outstanding, totals.overdue) == (
        money("100000.00"),
        money("20000.00"),
        money("80000.00"),
        money("10000.00"),
    )
    assert totals.plan_matches
    assert (summary.contract_count, summary.outstanding, summary.overdue) == (1, money("80000.00"), money("10000.00"))
    assert [item.amount for item in summary.next_due] == [money("30000.00"), money("70000.00")]
    assert (hidden.contract_count, hidden.contracted, hidden.next_due) == (0, money("0.00"), [])
