"""Candidate lookup for one new record against the database."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from conftest import Org
from crm.customers.duplicates import lookup, prepared, sources
from crm.customers.duplicates.lookup import duplicate_candidates, duplicate_candidates_many
from crm.customers.models import Contact, Customer
from crm.customers.services import customer_update
from crm.customers.tests.factories import a_contact, a_customer


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Reasons are asserted in English here; rendering them in Chinese is tested in test_duplicates_reasons."""
    with translation.override("en"):
        yield


def test_services_keep_the_name_key(org: Org) -> None:
    # given a customer and a contact created through the services
    customer = a_customer(org.rep_a1, name="北京字节跳动科技有限公司")
    contact = a_contact(org.rep_a1, customer, name="Zhang Wei")

    # when the customer is renamed
    customer_update(
        actor=org.actor(org.rep_a1), customer_id=customer.pk, version=1, values={"name": "上海华信科技有限公司"}
    )

    # then both keys follow their names
    assert Customer.objects.get(pk=customer.pk).name_key == "华信"
    assert Contact.objects.get(pk=contact.pk).name_key == "wei zhang"


def test_finds_a_customer_by_a_variant_of_its_name(org: Org) -> None:
    # given 北京字节跳动科技有限公司 and an unrelated customer
    wanted = a_customer(org.rep_a1, name="北京字节跳动科技有限公司")
    a_customer(org.rep_a1, name="上海华信科技有限公司")

    # when a rep types 字节跳动(北京)科技有限公司
    found = duplicate_candidates(
        viewer=org.actor(org.rep_a1), values={"name": "字节跳动（北京）科技有限公司"}, object_type="customers"
    )

    # then the existing customer is the one candidate, with the reason
    assert [(c.record_id, c.score, c.reasons) for c in found] == [(wanted.pk, 50, ["company name ~ 字节跳动科技"])]


def test_finds_a_customer_by_credit_code_phone_or_email(org: Org) -> None:
    # given three customers, each sharing one key with the new record
    by_code = a_customer(org.rep_a1, name="甲", credit_code="91350100M000100Y43")
    by_phone = a_customer(org.rep_a1, name="乙", phone="010-62345678")
    by_email = a_customer(org.rep_a1, name="丙", email="info@example.cn")

    # when the new record has all three keys
    found = duplicate_candidates(
        viewer=org.actor(org.rep_a1),
        values={
            "name": "丁",
            "credit_code": "91350100m000100y43",
            "phone": "+86 10 6234 5678",
            "email": " INFO@example.cn",
        },
        object_type="customers",
    )

    # then all three are found, the hard key first
    assert [(c.record_id, c.score) for c in found] == [(by_code.pk, 100), (by_email.pk, 50), (by_phone.pk, 50)]


def test_finds_a_contact_by_mobile_in_either_column_and_by_name(org: Org) -> None:
    # given a contact with a mobile and another with the same name at one customer
    customer = a_customer(org.rep_a1)
    by_mobile = a_contact(org.rep_a1, customer, name="李娜", mobile="13900001111", email="")
    by_name = a_contact(org.rep_a1, customer, name="张伟", mobile="", email="", birthday=dt.date(1990, 5, 1))

    # when a new contact 张玮 comes with that mobile written as a phone
    found = duplicate_candidates(
        viewer=org.actor(org.rep_a1),
        values={"name": "Zhang Wei", "phone": "139 0000 1111", "customer_id": customer.pk, "birthday": "1990-05-01"},
        object_type="contacts",
    )

    # then both are found with their reasons
    assert [(c.record_id, c.score, c.reasons) for c in found] == [
        (by_name.pk, 70, ["name sounds the same Zhang Wei/张伟", "same birthday 1990-05-01", "same customer"]),
        (by_mobile.pk, 70, ["same phone +8613900001111", "same customer"]),
    ]


def test_a_record_the_viewer_may_not_see_shows_only_owner_and_date(org: Org) -> None:
    # given a customer owned by a rep in another region
    hidden = a_customer(org.rep_n1, name="北京字节跳动科技有限公司", phone="13812345678")

    # when a rep in east_a checks a new record with the same phone
    found = duplicate_candidates(
        viewer=org.actor(org.rep_a1), values={"name": "字节跳动", "phone": "13812345678"}, object_type="customers"
    )

    # then the candidate has no id, name or reasons, only who owns it and since when
    [candidate] = found
    assert (candidate.visible, candidate.record_id, candidate.name, candidate.reasons) == (False, None, "", [])
    assert candidate.score == 90
    assert candidate.summary == f"owned by 刘洋 since {timezone.localdate(hidden.created_at).isoformat()}"


def test_lookup_is_a_few_indexed_queries_and_skips_the_record_itself(org: Org) -> None:
    # given a customer
    customer = a_customer(org.rep_a1, name="北京字节跳动科技有限公司", phone="13812345678", email="a@example.cn")

    # when it is checked against the database on edit
    with CaptureQueriesContext(connection) as queries:
        found = duplicate_candidates(
            viewer=org.actor(org.rep_a1),
            values={"name": customer.name, "phone": customer.phone, "email": customer.email},
            object_type="customers",
            exclude_id=customer.pk,
        )

    # then it does not find itself, with one statement per record type (no owners to look up), each
    # holding one bounded subquery per key: customers by phone, email and name; contacts by phone and
    # email; leads by phone, email and company name
    assert found == []
    assert [query["sql"].count("LIMIT 50") for query in queries.captured_queries] == [3, 2, 3]


def test_a_common_name_does_not_crowd_out_a_phone_match(org: Org) -> None:
    # given the oldest of sixty customers of one name has the phone a new record gives
    first = a_customer(org.rep_a1, name="星河数据科技有限公司", phone="13812345678")
    for number in range(60):
        a_customer(org.rep_a1, name="星河数据科技有限公司", external_id=f"X-{number}")

    # when the new record is checked
    found = duplicate_candidates(
        viewer=org.actor(org.rep_a1),
        values={"name": "星河数据科技有限公司", "phone": "13812345678"},
        object_type="customers",
    )

    # then the phone match comes first although the name alone reaches only the newest fifty
    assert found[0].record_id == first.pk
    assert found[0].score == 100


def test_each_check_reads_its_own_values_from_the_statement_kept_for_its_shape(org: Org) -> None:
    # given two customers with a phone and a name each
    one = a_customer(org.rep_a1, name="北京华信科技有限公司", phone="13812345678")
    two = a_customer(org.rep_a1, name="上海恒达贸易有限公司", phone="13987654321")
    rep = org.actor(org.rep_a1)

    # when records of the same shape (a name and a phone) are checked one after the other
    found_one = duplicate_candidates(
        viewer=rep, values={"name": "华信科技", "phone": "13812345678"}, object_type="customers"
    )
    found_two = duplicate_candidates(
        viewer=rep, values={"name": "恒达贸易", "phone": "13987654321"}, object_type="customers"
    )
    found_two_again = duplicate_candidates(
        viewer=rep, values={"name": "恒达贸易", "phone": "13987654321"}, object_type="customers", exclude_id=two.pk
    )

    # then each finds its own customer only, with the date it was entered, and the edited one skips itself
    assert [(candidate.record_id, candidate.owner_since) for candidate in found_one] == [(one.pk, one.created_at)]
    assert [candidate.record_id for candidate in found_two] == [two.pk]
    assert found_two_again == []


def test_many_records_find_what_each_finds_alone_across_statements(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    # given seven customers, each with its own name and phone, and a limit of four keys a statement
    # (seven names: a statement of four and one of three padded to four; seven phones: four and three)
    monkeypatch.setattr(prepared, "KEYS_PER_STATEMENT", 4)
    monkeypatch.setattr(prepared, "VALUES_PER_STATEMENT", 4)
    for number in range(7):
        a_customer(org.rep_a1, name=f"星河数据科技有限公司{number}", phone=f"1381234567{number}")
    probes = [{"name": f"星河数据科技{number}", "phone": f"1381234567{number}"} for number in range(7)] + [
        {"name": "未见过的公司", "phone": "13900000000"}
    ]
    rep = org.actor(org.rep_a1)

    # when they are checked together and one by one
    together = duplicate_candidates_many(viewer=rep, values=probes, object_type="customers")
    alone = [duplicate_candidates(viewer=rep, values=probe, object_type="customers") for probe in probes]

    # then both find the same candidates for every record, and the last one nothing
    assert together == alone
    assert [len(found) for found in together] == [1, 1, 1, 1, 1, 1, 1, 0]


def test_a_phone_on_more_rows_than_the_limit_keeps_the_newest_across_both_columns(org: Org) -> None:
    # given a phone in the mobile column of three contacts, then in the phone column of two newer ones
    older = [a_contact(org.rep_a1, name=f"甲{number}", mobile="13812345678") for number in range(3)]
    newer = [a_contact(org.rep_a1, name=f"乙{number}", phone="13812345678") for number in range(2)]
    source = sources.source_of("contacts")

    # when many keys are looked up together with a limit of three rows a key
    found = prepared.rows_per_key(
        source, [("phone", "+8613812345678"), ("phone", "+8613900000000")], ("id", "name"), limit=3
    )

    # then the phone keeps its newest three over both columns, newest first, and the unknown one nothing
    assert [row["id"] for row in found[0]] == [newer[1].pk, newer[0].pk, older[2].pk]
    assert found[1] == []


def test_a_name_key_is_looked_up_once_for_all_the_chunks_of_an_import(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given customers of one company name, and chunks of two records
    monkeypatch.setattr(lookup, "BATCH", 2)
    for number in range(3):
        a_customer(org.rep_a1, name="星河数据科技有限公司", external_id=f"X-{number}")
    probes = [{"name": "星河数据科技", "phone": f"1390000000{number}"} for number in range(6)]
    rep = org.actor(org.rep_a1)

    # when six records with that name are checked together
    with CaptureQueriesContext(connection) as queries:
        together = duplicate_candidates_many(viewer=rep, values=probes, object_type="customers")

    # then each finds what it finds alone, and the name was looked up in the first chunk only
    assert together == [duplicate_candidates(viewer=rep, values=probe, object_type="customers") for probe in probes]
    assert [len(found) for found in together] == [3] * 6
    name_lookups = [query for query in queries.captured_queries if "name_key" in query["sql"]]
    # (customers and leads: a customer has no person name to look contacts up by)
    assert len(name_lookups) == len(sources.SOURCES) - 1


def test_candidates_survive_the_trip_back_from_a_second_process(org: Org) -> None:
    # given a customer that a new record matches by phone and name
    a_customer(org.rep_b1, name="星河数据科技有限公司", phone="13812345678")
    found = duplicate_candidates_many(
        viewer=org.actor(org.rep_a1),
        values=[{"name": "星河数据科技", "phone": "13812345678"}],
        object_type="customers",
    )

    # when they are pickled and read back, as a child process's results are
    back = pickle.loads(pickle.dumps(found))  # noqa: S301 - our own data, made just above

    # then they are the same candidates, and each reason can still be said in another language
    assert back == found
    assert [reason.data()["code"] for reason in back[0][0].match_reasons] == ["same_phone", "same_company"]
