"""Names, phone numbers, credit codes and search text of generated demo records.

Names are composed from word lists whose pinyin is computed once, so a million customers cost
a million string joins rather than a million pinyin conversions.
"""

from __future__ import annotations

import random

from crm.core.credit_code import ALPHABET, check_character
from crm.core.pinyin import pinyin_forms
from crm.demo import vocabulary as words

# The first demo customer, a name everybody knows: searching 字节跳动 or bjzjtd finds exactly it.
FIRST_CUSTOMER = ("北京字节跳动科技有限公司", "beijingzijietiaodongkejiyouxiangongsi", "bjzjtdkjyxgs")

# Mobile prefixes the phone validator accepts, so demo records can be edited and saved as they are.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
    "158", "159", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "198", "199",
)  # fmt: skip

Region = tuple[str, str, str, list[str]]


def pinyin(text: str) -> tuple[str, str]:
    return pinyin_forms(text) if text else ("", "")


def mobile(rng: random.Random) -> str:
    return f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def prospect(rng: random.Random, *, mobile_prefixes: tuple[str, ...]) -> dict[str, str]:
    """A new lead as a person types it into a form: name, company, title, mobile (no +86) and region.

    The draws come in a fixed order, so a caller keeps the records it generated before it shared this.
    """
    region = words.REGIONS[rng.randrange(len(words.REGIONS))]
    trade = words.TRADE_WORDS[rng.randrange(len(words.TRADE_WORDS))]
    industry_word, industry = words.INDUSTRIES[rng.randrange(len(words.INDUSTRIES))]
    name = words.SURNAMES[rng.randrange(len(words.SURNAMES))] + words.GIVEN_NAMES[rng.randrange(len(words.GIVEN_NAMES))]
    return {
        "name": name,
        "company_name": f"{region[0]}{trade}{industry_word}有限公司",
        "title": rng.choice(words.TITLES),
        "mobile": f"{rng.choice(mobile_prefixes)}{rng.randrange(10**8):08d}",
        "province": region[1],
        "city": region[2],
        "industry": industry,
    }


def credit_code(rng: random.Random, region_code: str) -> str:
    body = "91" + region_code + "".join(rng.choice(ALPHABET[:10] + "ABCDEFGH") for _ in range(9))
    return body + check_character(body)


def customer_name(index: int) -> tuple[str, str, str, Region, str]:
    """(name, full pinyin, initials, region, industry) of the index-th demo company."""
    region = words.REGIONS[index % len(words.REGIONS)]
    trade = words.TRADE_WORDS[(index // len(words.REGIONS)) % len(words.TRADE_WORDS)]
    combos = len(words.REGIONS) * len(words.TRADE_WORDS)
    second = (
        words.TRADE_WORDS[(index // combos) % len(words.TRADE_WORDS)] if index >= combos * len(words.INDUSTRIES) else ""
    )
    industry_word, industry = words.INDUSTRIES[(index // combos) % len(words.INDUSTRIES)]
    suffix = words.SUFFIXES[index % 7 % len(words.SUFFIXES)]
    parts = [region[0], trade, second, industry_word, suffix]
    pinyins = [pinyin(part) for part in parts]
    return (
        "".join(parts),
        "".join(full for full, _ in pinyins),
        "".join(initials for _, initials in pinyins),
        region,
        industry,
    )


PERSON_NAMES = len(words.SURNAMES) * len(words.GIVEN_NAMES)


def person_name(number: int) -> tuple[str, str, str]:
    """(name, full pinyin, initials) of person name `number` (0 ≤ number < PERSON_NAMES)."""
    surname = words.SURNAMES[number // len(words.GIVEN_NAMES)]
    given = words.GIVEN_NAMES[number % len(words.GIVEN_NAMES)]
    full_s, _ = pinyin(surname)
    full_g, initials_g = pinyin(given)
    return surname + given, full_s + full_g, full_s[:1] + initials_g


def search_text(names: list[tuple[str, str, str]], phones: list[str], others: list[str]) -> str:
    """Same layout as crm.core.search.build_search_text, from (name, full pinyin, initials) at hand."""
    parts: list[str] = []
    for name, full, initials in names:
        if name:
            parts += [name.lower(), full, initials]
    for phone in phones:
        if phone:
            parts += [phone.lstrip("+"), phone[3:] if phone.startswith("+86") else phone.lstrip("+")]
    parts += [other.lower() for other in others if other]
    return " ".join(part for part in parts if part)
