"""Match keys: company names, person names, phones, emails and credit codes."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.customers.duplicates.normalise import (
    company_keys,
    company_region,
    credit_code_key,
    email_key,
    person_key,
    person_written,
    phone_key,
    website_key,
)

BYTEDANCE_CORE = ("字节跳动科技", "字节跳动")


@pytest.mark.parametrize(
    "name",
    [
        "北京字节跳动科技有限公司",
        "字节跳动(北京)科技有限公司",
        "字节跳动（北京）科技有限公司",
        "字节跳动【北京】科技有限公司",
        "字节跳动科技",
        "北京市字节跳动科技股份有限公司",
        " 字节跳动 科技 有限责任公司 ",
    ],
)
def test_company_variants_share_the_core_key(name: str) -> None:
    # when the keys of a spelling of 字节跳动 are computed
    # then region, brackets, spaces and legal suffix are gone
    assert company_keys(name) == BYTEDANCE_CORE


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Acme Co., Ltd.", ("acme", "acme")),
        ("ACME CO.,LTD", ("acme", "acme")),
        ("Ａｃｍｅ　Ｔｅｃｈｎｏｌｏｇｉｅｓ Inc.", ("acmetechnologies", "acme")),
        ("Acme Technologies LLC", ("acmetechnologies", "acme")),
        ("广东省深圳市腾讯计算机系统有限公司", ("腾讯计算机系统", "腾讯")),
        ("阿里巴巴集团", ("阿里巴巴", "阿里巴巴")),
        ("", ("", "")),
    ],
)
def test_company_keys_drop_width_case_suffixes_and_industry_words(name: str, expected: tuple[str, str]) -> None:
    assert company_keys(name) == expected


def test_a_name_of_only_generic_words_keeps_something() -> None:
    # given a company called only "Beijing Technology Co."
    # then its key is not empty (an empty key would match every such company)
    assert company_keys("北京科技有限公司") == ("科技", "科技")


@pytest.mark.parametrize("name", ["张伟", "张 伟", "Zhang Wei", "Wei Zhang", "ZHANG  wei", "ｚｈａｎｇ ｗｅｉ"])
def test_person_key_is_sorted_pinyin_or_latin_tokens(name: str) -> None:
    assert person_key(name) == "wei zhang"


def test_person_written_keeps_chinese_as_written_without_spaces() -> None:
    assert person_written("欧阳 娜娜") == "欧阳娜娜"
    assert person_written("Mary-Jane O'Neil") == "maryjaneoneil"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 1234 5678", "+8613812345678"),
        ("+86-138-1234-5678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
        ("12345", ""),
        ("", ""),
    ],
)
def test_phone_key_is_e164_and_ignores_invalid_numbers(raw: str, expected: str) -> None:
    assert phone_key(raw) == expected


def test_email_key_trims_and_lower_cases() -> None:
    assert email_key("  Zhang.Wei@Example.CN ") == "zhang.wei@example.cn"
    assert email_key("not an email") == ""


def test_credit_code_key_accepts_only_valid_codes() -> None:
    assert credit_code_key(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert credit_code_key("91350100M000100Y44") == ""


def test_website_key_is_the_host_without_www() -> None:
    assert website_key("https://WWW.Bytedance.com/zh/") == "bytedance.com"


company_texts = st.text(alphabet=st.sampled_from(list("字节跳动北京科技有限公司()（）abcABCｘＹ .,-")), max_size=30)
person_texts = st.text(alphabet=st.sampled_from(list("张伟王芳李娜 abcdeWEIZHANG·.")), max_size=20)


@given(company_texts)
def test_company_core_key_is_idempotent_and_width_and_case_insensitive(name: str) -> None:
    core, loose = company_keys(name)
    assert company_keys(core)[0] == core
    assert company_keys(loose)[1] == loose
    assert company_keys(unicodedata.normalize("NFKC", name).upper()) == (core, loose)


@given(person_texts)
def test_person_key_is_idempotent_and_width_and_case_insensitive(name: str) -> None:
    key = person_key(name)
    assert person_key(key) == key
    assert person_key(name.upper()) == key
    assert person_key(unicodedata.normalize("NFKC", name)) == key


@given(st.emails())
def test_email_key_is_idempotent_and_case_insensitive(email: str) -> None:
    key = email_key(email)
    assert email_key(key) == key
    assert email_key(email.upper()) == key


@pytest.mark.parametrize(
    ("name", "region"),
    [
        ("北京字节跳动科技有限公司", "北京"),
        ("字节跳动（北京）科技有限公司", "北京"),
        ("广东省深圳市腾讯", "广东"),
        ("字节跳动", ""),
    ],
)
def test_company_region(name: str, region: str) -> None:
    assert company_region(name) == region
