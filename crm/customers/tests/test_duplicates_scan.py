"""`crm duplicates scan` and `crm duplicates rekey` on a small dataset."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from conftest import Org
from crm.customers.duplicates.scan import scan_pairs
from crm.customers.models import Contact, Customer
from crm.customers.tests.factories import a_contact, a_customer


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Reasons are asserted in English here; rendering them in Chinese is tested in test_duplicates_reasons."""
    with translation.override("en"):
        yield


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("duplicates", *args, "--quiet", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_scan_lists_each_duplicate_contact_pair_once_as_csv(org: Org) -> None:
    # given contacts where 张伟 appears three times (by phone, by email, by name and birthday) and 李娜 once
    customer = a_customer(org.rep_a1)
    first = a_contact(org.rep_a1, customer, name="张伟", mobile="13812345678", email="zw@example.cn", external_id="C-1")
    second = a_contact(org.rep_a2, None, name="张玮", mobile="138 1234 5678", email="zw@example.cn", external_id="C-2")
    third = a_contact(
        org.rep_a1, customer, name="Zhang Wei", mobile="", email="", birthday=dt.date(1990, 5, 1), external_id=None
    )
    a_contact(org.rep_b1, customer, name="李娜", mobile="13900001111", email="li.na@example.cn")

    # when the contacts are scanned as CSV
    rows = list(csv.reader(io.StringIO(_run("scan", "--object", "contacts", "--format", "csv"))))

    # then the header and the two pairs, each once
    assert rows[0] == ["left_id", "left_external_id", "right_id", "right_external_id", "score", "reasons"]
    assert rows[1:] == [
        [
            str(first.pk),
            "C-1",
            str(second.pk),
            "C-2",
            "100",
            "same phone +8613812345678; same email zw@example.cn; name typo 张伟/张玮",
        ],
        [str(first.pk), "C-1", str(third.pk), "", "50", "name sounds the same 张伟/Zhang Wei; same customer"],
    ]


def test_scan_finds_customers_by_credit_code_and_name_variant(org: Org, tmp_path: Path) -> None:
    # given two spellings of 字节跳动, two records sharing a credit code and an unrelated customer
    bytedance = a_customer(org.rep_a1, name="北京字节跳动科技有限公司", external_id="K-1")
    variant = a_customer(org.rep_n1, name="字节跳动(北京)科技有限公司", external_id="K-2")
    coded = a_customer(org.rep_a1, name="甲", credit_code="91350100M000100Y43")
    same_code = a_customer(org.rep_a1, name="乙", credit_code="91350100M000100Y43")
    a_customer(org.rep_a1, name="上海华信科技有限公司")

    # when the customers are scanned into a file, keeping pairs of 50 and more
    target = tmp_path / "pairs.txt"
    _run("scan", "--object", "customers", "--min-score", "50", "--output", str(target))

    # then each pair is one line with ids, external ids, score and reasons
    assert target.read_text(encoding="utf-8").splitlines() == [
        f"{coded.pk:>9} {'-':<16} {same_code.pk:>9} {'-':<16} 100  same credit code 91350100M000100Y43",
        f"{bytedance.pk:>9} {'K-1':<16} {variant.pk:>9} {'K-2':<16}  50  company name ~ 字节跳动科技",
    ]


def test_scan_compares_only_near_neighbours_in_a_huge_block(org: Org, monkeypatch: object) -> None:
    # given 30 contacts sharing one email (a block larger than the full-comparison limit of 10)
    import crm.customers.duplicates.scan as scan

    customer = a_customer(org.rep_a1)
    for number in range(30):
        a_contact(org.rep_a1, customer, name=f"Person {number:02d}", mobile="", email="shared@example.cn")
    setattr(scan, "FULL_BLOCK", 10)  # noqa: B010
    setattr(scan, "NEIGHBOURS", 2)  # noqa: B010
    try:
        pairs = list(scan_pairs(object_type="contacts"))
    finally:
        setattr(scan, "FULL_BLOCK", 200)  # noqa: B010
        setattr(scan, "NEIGHBOURS", 20)  # noqa: B010

    # then each contact is paired with its next two only: 29 + 28 pairs, not 435
    assert len(pairs) == 57


def test_rekey_fills_keys_of_rows_written_without_them(org: Org) -> None:
    # given rows whose keys were never computed (as before the keys existed)
    customer = a_customer(org.rep_a1, name="北京字节跳动科技有限公司")
    a_contact(org.rep_a1, customer, name="张伟")
    Customer.all_objects.update(name_key="")
    Contact.all_objects.update(name_key="")

    # when the keys are rebuilt
    _run("rekey", "--object", "customers")
    _run("rekey", "--object", "contacts")

    # then every row has its key again
    assert list(Customer.objects.values_list("name_key", flat=True)) == ["字节跳动"]
    assert list(Contact.objects.values_list("name_key", flat=True)) == ["wei zhang"]
