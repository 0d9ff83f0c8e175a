"""Scoring pairs of records: weights, reasons, typos, and missing values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from crm.customers.duplicates.scoring import edit_distance, score


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Reasons are asserted in English here; rendering them in Chinese is tested in test_duplicates_reasons."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("张伟", "张玮", 1), ("wei", "wie", 1), ("kitten", "sitting", 3), ("", "abc", 3), ("same", "same", 0)],
)
def test_edit_distance_counts_a_swap_of_neighbours_as_one(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


def test_same_valid_credit_code_is_a_hard_match() -> None:
    # given two customers with different names but the same credit code
    a = {"company": "甲公司", "credit_code": "91350100M000100Y43"}
    b = {"company": "乙集团", "credit_code": "91350100m000100y43"}

    # then they score 100
    assert score(a, b) == (100, ["same credit code 91350100M000100Y43"])


def test_different_valid_credit_codes_count_against_a_name_match() -> None:
    a = {"company": "北京字节跳动科技有限公司", "credit_code": "91350100M000100Y43"}
    b = {"company": "字节跳动(北京)科技有限公司", "credit_code": "911101085923662400"}
    assert score(a, b) == (0, ["different credit codes", "company name ~ 字节跳动科技"])


def test_company_variants_and_same_phone() -> None:
    # given 北京字节跳动 and 字节跳动 with one phone number written two ways
    a = {"company": "北京字节跳动科技有限公司", "phones": ["138 1234 5678"]}
    b = {"company": "字节跳动", "phones": ["+86 13812345678", ""]}

    # then the phone and the loose company key both count
    assert score(a, b) == (90, ["same phone +8613812345678", "company name ~ 字节跳动"])


def test_latin_company_suffix_variants() -> None:
    assert score({"company": "Acme Co., Ltd."}, {"company": "ACME Limited"}) == (50, ["company name ~ acme"])


def test_company_name_typo() -> None:
    assert score({"company": "Microsoft Corp."}, {"company": "Mircosoft Inc."}) == (
        30,
        ["company name typo Microsoft Corp./Mircosoft Inc."],
    )


def test_missing_values_neither_add_nor_subtract() -> None:
    a: dict[str, Any] = {"person": "张伟", "email": "", "phones": [], "birthday": None, "credit_code": ""}
    b = {"person": "张伟", "email": "zhang.wei@example.cn", "phones": ["13812345678"], "birthday": dt.date(1990, 1, 2)}
    assert score(a, b) == (35, ["same name 张伟"])


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("张伟", "张伟", (35, ["same name 张伟"])),
        ("张伟", "张玮", (30, ["name typo 张伟/张玮"])),
        ("张伟", "Zhang Wei", (30, ["name sounds the same 张伟/Zhang Wei"])),
        ("Wei Zhang", "Zhang Wei", (35, ["same name Wei Zhang"])),
        ("Wei Zhang", "Zhnag Wei", (25, ["name typo Wei Zhang/Zhnag Wei"])),
        ("W. Zhang", "Wei Zhang", (25, ["name abbreviated W. Zhang/Wei Zhang"])),
        ("欧阳娜娜", "欧阳娜", (25, ["name typo 欧阳娜娜/欧阳娜"])),
        ("张伟", "李娜", (0, [])),
        ("Li Na", "Wang Fang", (0, [])),
    ],
)
def test_person_names_in_chinese_and_latin(a: str, b: str, expected: tuple[int, list[str]]) -> None:
    assert score({"person": a}, {"person": b}) == expected


def test_person_with_same_birthday_and_email() -> None:
    a = {"person": "张伟", "email": "Zhang.Wei@Example.cn ", "birthday": dt.date(1990, 5, 1), "customer_id": 7}
    b = {"person": "Zhang Wei", "email": "zhang.wei@example.cn", "birthday": dt.date(1990, 5, 1), "customer_id": 7}
    assert score(a, b) == (
        100,
        [
            "same email zhang.wei@example.cn",
            "name sounds the same 张伟/Zhang Wei",
            "same birthday 1990-05-01",
            "same customer",
        ],
    )


def test_different_birthdays_count_against_a_same_name() -> None:
    a = {"person": "张伟", "birthday": dt.date(1990, 5, 1)}
    b = {"person": "张伟", "birthday": dt.date(1985, 3, 9)}
    assert score(a, b) == (5, ["same name 张伟", "different birthdays"])


def test_company_names_from_different_regions_count_less() -> None:
    # given one trade name in two cities, and once without a city
    beijing, chengdu, bare = "北京华信科技有限公司", "成都市华信科技有限公司", "华信科技(北京)有限公司"

    # then different regions count against the name match; the same region in brackets does not
    assert score({"company": beijing}, {"company": chengdu}) == (
        30,
        ["company name ~ 华信科技", "different regions 北京/成都"],
    )
    assert score({"company": beijing}, {"company": bare}) == (50, ["company name ~ 华信科技"])
