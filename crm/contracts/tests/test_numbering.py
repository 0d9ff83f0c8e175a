"""Contract numbers: the administrator's pattern, a sequence per scope, no duplicates under concurrency."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.db import OperationalError, connection

from conftest import Org, ensure_builtin_roles
from crm.contracts.models import Contract
from crm.contracts.numbering import PatternError, parse_pattern
from crm.contracts.services import contract_create, contract_settings_update
from crm.contracts.tests.factories import ADMIN, a_contract
from crm.core.errors import PermissionDenied, ValidationFailed
from crm.customers.tests.factories import a_customer
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.identity.models import User


def test_a_pattern_fills_in_date_parts_and_a_padded_sequence() -> None:
    pattern = parse_pattern("HT-{yyyy}{mm}-{seq:04d}")

    assert pattern.number(dt.date(2026, 7, 9), 12) == "HT-202607-0012"
    assert pattern.scope(dt.date(2026, 7, 9)) == "HT-202607-{seq}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "请输入编号规则"),
        ("HT-{yyyy}", "必须且只能包含一个流水号"),
        ("HT-{seq}-{seq}", "必须且只能包含一个流水号"),
        ("HT-{year}-{seq}", "不是可用的占位符"),
        ("合同-{seq}", "占位符以外只能使用"),
        ("HT-{yyyy}-ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGH-{seq:05d}", "过长"),
    ],
)
def test_a_bad_pattern_is_explained(text: str, problem: str) -> None:
    with pytest.raises(PatternError) as refused:
        parse_pattern(text)

    assert problem in str(refused.value)


@time_machine.travel(dt.datetime(2026, 12, 31, 4, tzinfo=dt.UTC))
def test_numbers_follow_the_saved_pattern_and_restart_each_year(org: Org) -> None:
    # given an administrator's pattern
    contract_settings_update(actor=org.actor(org.admin), version=1, values={"number_pattern": "XH/{yy}/{seq:03d}"})

    # when contracts are made on the last day of one year and the first of the next
    first, second = a_contract(org.rep_a1), a_contract(org.rep_a1)
    with time_machine.travel(dt.datetime(2027, 1, 1, 4, tzinfo=dt.UTC)):
        third = a_contract(org.rep_a1)

    # then the sequence counts within each year
    assert [first.number, second.number, third.number] == ["XH/26/001", "XH/26/002", "XH/27/001"]


def test_a_number_already_taken_is_skipped(org: Org) -> None:
    # given a contract holding the number the sequence would give next (say, imported)
    taken = a_contract(org.rep_a1)
    Contract.objects.filter(pk=taken.pk).update(number=taken.number.replace("00001", "00002"))

    # when the next contract is made
    following = a_contract(org.rep_a1)

    # then it gets the one after
    assert following.number == taken.number.replace("00001", "00003")


def test_only_administrators_change_the_pattern_and_bad_input_names_the_field(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        contract_settings_update(actor=org.actor(org.director), version=1, values={"number_pattern": "A-{seq}"})

    with pytest.raises(ValidationFailed) as refused:
        contract_settings_update(
            actor=org.actor(org.admin), version=1, values={"number_pattern": "A", "renewal_notice_days": 0}
        )
    assert {error.field for error in refused.value.errors} == {"number_pattern", "renewal_notice_days"}


@pytest.mark.django_db(transaction=True)
def test_simultaneous_contracts_get_distinct_consecutive_numbers(org: Org) -> None:
    ensure_builtin_roles()
    ensure_default_pipeline()
    # given four reps' customers and no contract yet (so all race to create the year's sequence row)
    owners = [org.rep_a1, org.rep_a2, org.rep_b1, org.rep_n1]
    customers = [(owner, a_customer(owner, name=f"并发客户{index}")) for index, owner in enumerate(owners)]
    barrier = threading.Barrier(len(customers))
    errors: list[BaseException] = []

    def create(owner: User, customer_id: int) -> None:
        try:
            barrier.wait()
            for _attempt in range(500):
                try:
                    contract_create(
                        actor=ADMIN, values={"title": "并发合同", "customer_id": customer_id, "owner_id": owner.pk}
                    )
                    return
                except OperationalError as exc:
                    # The in-memory SQLite test database fails a busy lock at once where a file database
                    # or PostgreSQL would wait; creating a contract is one transaction, so retrying is waiting.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
            raise AssertionError("never got the lock")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    # when they all create a contract at once
    threads = [threading.Thread(target=create, args=(owner, customer.pk)) for owner, customer in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then every contract has its own number, with no gap
    assert errors == []
    numbers = sorted(Contract.objects.values_list("number", flat=True))
    year = numbers[0].split("-")[1]
    assert numbers == [f"HT-{year}-{n:05d}" for n in range(1, len(customers) + 1)]
