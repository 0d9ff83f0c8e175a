"""Blocking of the company-name pass: big loose-key blocks are split by core key and region."""

from __future__ import annotations

from conftest import Org
from crm.customers.duplicates.scan import company_pairs, scan_pairs
from crm.customers.tests.factories import a_customer


def names(pairs: list[tuple[dict[str, str], dict[str, str]]]) -> set[frozenset[str]]:
    return {frozenset((left["name"], right["name"])) for left, right in pairs}


def test_a_loose_key_block_is_compared_only_within_core_key_and_region() -> None:
    # given one loose-key block (华信) of companies from several regions and industries
    block = [
        {"name": "北京华信科技有限公司"},
        {"name": "华信科技(北京)股份有限公司"},
        {"name": "上海华信科技有限公司"},
        {"name": "北京华信信息有限公司"},
        {"name": "华信科技有限公司"},
    ]

    # when it is split into pairs
    found = names(list(company_pairs(block)))

    # then same core and region pair up, and a name without a region pairs with every region of its core
    assert found == {
        frozenset({"北京华信科技有限公司", "华信科技(北京)股份有限公司"}),
        frozenset({"华信科技有限公司", "北京华信科技有限公司"}),
        frozenset({"华信科技有限公司", "华信科技(北京)股份有限公司"}),
        frozenset({"华信科技有限公司", "上海华信科技有限公司"}),
    }


def test_the_scan_still_finds_company_variants_and_not_other_regions(org: Org) -> None:
    # given variants of one company, the same trade name in another city, and an unrelated company
    first = a_customer(org.rep_a1, name="北京字节跳动科技有限公司")
    second = a_customer(org.rep_a1, name="字节跳动(北京)科技有限公司")
    a_customer(org.rep_a1, name="上海字节跳动科技有限公司")
    a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")

    # when customers are scanned
    pairs = list(scan_pairs(object_type="customers"))

    # then the one pair is the two spellings of the Beijing company
    assert [(p.left_id, p.right_id, p.score, p.left_name, p.right_name) for p in pairs] == [
        (first.pk, second.pk, 50, "北京字节跳动科技有限公司", "字节跳动(北京)科技有限公司")
    ]
