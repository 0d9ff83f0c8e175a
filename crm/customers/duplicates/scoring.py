"""Scoring a pair of records: 0–100 and the reasons, from whichever fields both have.

A record is a plain dict (see `Record`); a value missing on either side neither adds nor
subtracts. A valid unified social credit code is a hard key: equal codes score 100.

Reasons are `Reason` strings: rendered in the active language when scored, and able to render
again in another (`reason_text`), so stored scan results read in each viewer's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Self, TypedDict

from django.utils.translation import gettext, gettext_noop
from rapidfuzz.distance import OSA

from crm.customers.duplicates.normalise import (
    CJK_CHARACTER,
    address_key,
    company_keys,
    company_region,
    credit_code_key,
    email_key,
    person_key,
    person_written,
    phone_key,
    website_key,
)

# Weights: a shared phone or email alone is a likely duplicate (50); a company name alone is
# suggestive (core 50, loose 40, typo 30); a person's name needs one more fact to reach 50.
SAME_CREDIT_CODE = 100
DIFFERENT_CREDIT_CODE = -50
SAME_PHONE = 50
SAME_EMAIL = 50
SAME_COMPANY_CORE = 50
SAME_COMPANY_LOOSE = 40
COMPANY_TYPO = 30
DIFFERENT_REGION = -20
SAME_WEBSITE = 40
SAME_PERSON_NAME = 35
PERSON_NAME_SOUNDS_SAME = 30
PERSON_NAME_TYPO = 25
SAME_BIRTHDAY = 20
DIFFERENT_BIRTHDAY = -30
SAME_CUSTOMER = 20
SAME_ADDRESS = 15


# The reason texts, by code; `%(a)s`/`%(b)s` are the two values compared.
REASON_TEXTS = {
    "same_credit_code": gettext_noop("same credit code %(a)s"),
    "different_credit_codes": gettext_noop("different credit codes"),
    "same_phone": gettext_noop("same phone %(a)s"),
    "same_email": gettext_noop("same email %(a)s"),
    "same_company": gettext_noop("company name ~ %(a)s"),
    "company_typo": gettext_noop("company name typo %(a)s/%(b)s"),
    "different_regions": gettext_noop("different regions %(a)s/%(b)s"),
    "same_website": gettext_noop("same website %(a)s"),
    "same_name": gettext_noop("same name %(a)s"),
    "name_typo": gettext_noop("name typo %(a)s/%(b)s"),
    "name_sounds_same": gettext_noop("name sounds the same %(a)s/%(b)s"),
    "name_abbreviated": gettext_noop("name abbreviated %(a)s/%(b)s"),
    "same_birthday": gettext_noop("same birthday %(a)s"),
    "different_birthdays": gettext_noop("different birthdays"),
    "same_customer": gettext_noop("same customer"),
    "same_address": gettext_noop("same address"),
}


def _render(code: str, values: dict[str, str]) -> str:
    template = REASON_TEXTS.get(code)
    return gettext(template) % values if template else code


class Reason(str):
    """A reason, as text in the language active when it was made, that knows how to say it again.

    A plain `str` to everything that joins, compares or serialises reasons; `data()` keeps
    the code and values, which `reason_text` renders in whichever language is active later.
    """

    code: str
    values: dict[str, str]

    @classmethod
    def of(cls, code: str, **values: str) -> Self:
        reason = cls(_render(code, values))
        reason.code, reason.values = code, values
        return reason

    def data(self) -> dict[str, Any]:
        return {"code": self.code, "values": self.values}


def reason_text(stored: object) -> str:
    """A reason in the active language: from `Reason.data()`, or stored text as it is."""
    if isinstance(stored, dict) and isinstance(stored.get("code"), str):
        values = stored.get("values") or {}
        return _render(stored["code"], {str(key): str(value) for key, value in values.items()})
    if isinstance(stored, Reason):
        return _render(stored.code, stored.values)
    return str(stored)


class Record(TypedDict, total=False):
    """The fields a comparison may use; leads, customers and contacts fill what they have."""

    company: str
    person: str
    credit_code: str
    phones: list[str]
    email: str
    website: str
    birthday: dt.date | None
    address: str
    customer_id: int | None


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): one swap of neighbours counts 1."""
    return int(OSA.distance(a, b))


@lru_cache(maxsize=65536)
def _allowed_typos(text: str) -> int:
    """One typo in a short string, one more per six characters (CJK characters count as three)."""
    weight = len(text) + 2 * len(CJK_CHARACTER.findall(text))
    return 1 + weight // 18 if weight >= 4 else 0


def _is_typo(a: str, b: str, allowed_a: int, allowed_b: int) -> bool:
    """Whether `a` and `b` differ by a few typos; `allowed_*` are their `_allowed_typos`, worked out once."""
    if not a or not b or a == b:
        return False
    allowed = min(allowed_a, allowed_b)
    return allowed > 0 and abs(len(a) - len(b)) <= allowed and OSA.distance(a, b, score_cutoff=allowed) <= allowed


def _initials_match(a: str, b: str) -> bool:
    """`w zhang` ~ `wei zhang`: same number of tokens, each equal or an initial of the other."""
    left, right = a.split(), b.split()
    if len(left) != len(right) or len(left) < 2:
        return False
    used = False
    for x, y in zip(left, right, strict=True):
        if x == y:
            continue
        if (len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y)):
            used = True
            continue
        return False
    return used


# (weight, reason code, the values the reason names)
_Found = tuple[int, str, dict[str, str]]


def _phones(values: Iterable[str]) -> frozenset[str]:
    return frozenset(key for key in (phone_key(value) for value in values) if key)


@dataclass(frozen=True, slots=True)
class Features:
    """A record's normalised keys, worked out once: a record is compared with many others."""

    credit_code: str
    phones: frozenset[str]
    email: str
    company: str
    company_core: str
    company_loose: str
    company_core_typos: int
    company_loose_typos: int
    region: str
    website: str
    person: str
    person_written: str
    person_key: str
    person_compact: str  # the key without spaces, compared for typos
    person_written_typos: int
    person_compact_typos: int
    person_cjk: bool
    birthday: dt.date | None
    customer_id: int | None
    address: str


def features(record: Record | dict[str, Any]) -> Features:
    company = record.get("company") or ""
    person = record.get("person") or ""
    core, loose, core_typos, loose_typos, region = _company_forms(company)
    written, key, compact, written_typos, compact_typos, cjk = _person_forms(person)
    return Features(
        credit_code=credit_code_key(record.get("credit_code") or ""),
        phones=_phones(record.get("phones") or []),
        email=email_key(record.get("email") or ""),
        company=company,
        company_core=core,
        company_loose=loose,
        company_core_typos=core_typos,
        company_loose_typos=loose_typos,
        region=region,
        website=website_key(record.get("website") or ""),
        person=person,
        person_written=written,
        person_key=key,
        person_compact=compact,
        person_written_typos=written_typos,
        person_compact_typos=compact_typos,
        person_cjk=cjk,
        birthday=record.get("birthday"),
        customer_id=record.get("customer_id"),
        address=address_key(record.get("address") or ""),
    )


# A company or person name's forms, worked out once per name: a check reads hundreds of thousands of
# rows, and people's names (and many companies') repeat.
@lru_cache(maxsize=65536)
def _company_forms(company: str) -> tuple[str, str, int, int, str]:
    core, loose = company_keys(company)
    region = company_region(company) if core else ""
    return core, loose, _allowed_typos(core), _allowed_typos(loose), region


@lru_cache(maxsize=65536)
def _person_forms(person: str) -> tuple[str, str, str, int, int, bool]:
    written = person_written(person)
    key = person_key(person) if person else ""
    compact = key.replace(" ", "")
    return written, key, compact, _allowed_typos(written), _allowed_typos(compact), _has_cjk(person)


def _company(a: Features, b: Features) -> _Found | None:
    core_a, loose_a, core_b, loose_b = a.company_core, a.company_loose, b.company_core, b.company_loose
    if not core_a or not core_b:
        return None
    if core_a == core_b:
        return SAME_COMPANY_CORE, "same_company", {"a": core_a}
    if loose_a == loose_b:
        return SAME_COMPANY_LOOSE, "same_company", {"a": loose_a}
    if _is_typo(core_a, core_b, a.company_core_typos, b.company_core_typos) or _is_typo(
        loose_a, loose_b, a.company_loose_typos, b.company_loose_typos
    ):
        return COMPANY_TYPO, "company_typo", {"a": a.company, "b": b.company}
    return None


def _person(a: Features, b: Features) -> _Found | None:
    written_a, written_b = a.person_written, b.person_written
    if not written_a or not written_b:
        return None
    key_a, key_b = a.person_key, b.person_key
    if written_a == written_b or (key_a == key_b and not a.person_cjk and not b.person_cjk):
        return SAME_PERSON_NAME, "same_name", {"a": a.person}
    if key_a == key_b:
        # Two Chinese spellings with one pinyin are a typical input-method slip (张伟/张玮).
        code = "name_typo" if a.person_cjk and b.person_cjk else "name_sounds_same"
        return PERSON_NAME_SOUNDS_SAME, code, {"a": a.person, "b": b.person}
    if _initials_match(key_a, key_b):
        return PERSON_NAME_TYPO, "name_abbreviated", {"a": a.person, "b": b.person}
    same_script = a.person_cjk == b.person_cjk
    if (same_script and _is_typo(written_a, written_b, a.person_written_typos, b.person_written_typos)) or _is_typo(
        a.person_compact, b.person_compact, a.person_compact_typos, b.person_compact_typos
    ):
        return PERSON_NAME_TYPO, "name_typo", {"a": a.person, "b": b.person}
    return None


def _has_cjk(text: str) -> bool:
    return CJK_CHARACTER.search(text) is not None


def score(a: Record | dict[str, Any], b: Record | dict[str, Any], min_score: int = 0) -> tuple[int, list[str]]:
    """How likely `a` and `b` are the same company or person (0–100), and why.

    Below `min_score` the reasons are left out: an import scores most rows against dozens of
    records it then discards, and rendering each reason in the active language is the costly part.
    """
    return compare(features(a), features(b), min_score)


def compare(a: Features, b: Features, min_score: int = 0) -> tuple[int, list[str]]:
    """`score` of two records' features (for comparing one record with many)."""
    total, found = tally(a, b)
    return total, rendered(found) if total >= min_score else []


# What made a score: (reason code, the values the reason names), rendered only for shown pairs.
Tally = list[tuple[str, dict[str, str]]]


def rendered(found: Tally, made: dict[Any, Reason] | None = None) -> list[str]:
    """The reasons of a tally, as `Reason`s in the active language; `made` keeps them for other tallies."""
    if made is None:
        return [Reason.of(code, **values) for code, values in found]
    reasons: list[str] = []
    for code, values in found:
        key = (code, *values.items())
        reason = made.get(key)
        if reason is None:
            reason = made[key] = Reason.of(code, **values)
        reasons.append(reason)
    return reasons


def tally(a: Features, b: Features) -> tuple[int, Tally]:
    """The score (0–100) of two records' features and what made it, no reason rendered yet: a lookup
    scores dozens of rows per record and shows the best few."""
    points = 0
    found: Tally = []
    # Plain statements rather than a helper per fact: an import scores millions of pairs.
    if a.credit_code and b.credit_code:
        if a.credit_code == b.credit_code:
            points += SAME_CREDIT_CODE
            found.append(("same_credit_code", {"a": a.credit_code}))
        else:
            points += DIFFERENT_CREDIT_CODE
            found.append(("different_credit_codes", {}))
    if a.phones and b.phones:
        shared_phones = a.phones & b.phones
        if shared_phones:
            points += SAME_PHONE
            found.append(("same_phone", {"a": min(shared_phones)}))
    if a.email and a.email == b.email:
        points += SAME_EMAIL
        found.append(("same_email", {"a": a.email}))
    if a.company_core and b.company_core:
        company = _company(a, b)
        if company:
            points += company[0]
            found.append((company[1], company[2]))
            # 北京华信科技 and 成都华信科技 are usually two companies; a region missing on one side says nothing.
            if a.region and b.region and a.region != b.region:
                points += DIFFERENT_REGION
                found.append(("different_regions", {"a": a.region, "b": b.region}))
    if a.website and a.website == b.website:
        points += SAME_WEBSITE
        found.append(("same_website", {"a": a.website}))
    if a.person_written and b.person_written:
        person = _person(a, b)
        if person:
            points += person[0]
            found.append((person[1], person[2]))
    if a.birthday and b.birthday:
        if a.birthday == b.birthday:
            points += SAME_BIRTHDAY
            found.append(("same_birthday", {"a": a.birthday.isoformat()}))
        else:
            points += DIFFERENT_BIRTHDAY
            found.append(("different_birthdays", {}))
    if a.customer_id and a.customer_id == b.customer_id:
        points += SAME_CUSTOMER
        found.append(("same_customer", {}))
    if a.address and a.address == b.address:
        points += SAME_ADDRESS
        found.append(("same_address", {}))
    return max(0, min(100, points)), found
