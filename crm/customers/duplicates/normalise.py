"""Match keys: the forms under which two spellings of one company or person become equal.

Pure functions; nothing here reads the database.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import lazy_pinyin

from crm.core.credit_code import is_valid_credit_code, normalize_credit_code
from crm.core.errors import ValidationFailed
from crm.core.phone import normalize_phone

# Longest first, so 股份有限公司 goes before 有限公司 and 公司.
_CJK_LEGAL_SUFFIXES = sorted(
    [
        "有限责任公司", "股份有限公司", "集团股份有限公司", "集团有限公司", "控股有限公司", "有限公司",
        "集团公司", "总公司", "分公司", "集团", "公司", "股份", "控股", "有限",
    ],
    key=len,
    reverse=True,
)  # fmt: skip
_LATIN_LEGAL_WORDS: frozenset[str] = frozenset(
    {
        "co", "company", "ltd", "limited", "inc", "incorporated", "llc", "corp", "corporation", "plc",
        "gmbh", "ag", "sa", "bv", "pte", "pty", "group", "holding", "holdings",
    }
)  # fmt: skip
_PROVINCES = [
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门", "中国",
]  # fmt: skip
_CITIES = [
    "深圳", "广州", "杭州", "南京", "苏州", "成都", "武汉", "西安", "长沙", "郑州", "青岛", "大连", "宁波",
    "厦门", "济南", "沈阳", "哈尔滨", "长春", "福州", "合肥", "昆明", "南宁", "贵阳", "南昌", "太原", "石家庄",
    "无锡", "佛山", "东莞", "珠海", "温州", "常州", "烟台", "乌鲁木齐", "兰州", "呼和浩特", "海口", "三亚",
]  # fmt: skip
_REGIONS = sorted(
    [
        *(f"{name}{unit}" for name in _PROVINCES for unit in ("省", "市", "自治区")),
        *_PROVINCES,
        *(f"{name}市" for name in _CITIES),
        *_CITIES,
    ],
    key=len,
    reverse=True,
)
_INDUSTRY_WORDS = sorted(
    [
        "信息技术", "科技", "技术", "网络", "信息", "软件", "电子商务", "电子", "智能", "数字", "数据", "通信",
        "贸易", "商贸", "实业", "发展", "咨询", "服务", "管理", "文化", "传媒", "传播", "国际", "新材料",
        "材料", "医疗", "生物", "制造", "工业", "工程", "物流", "供应链", "投资", "计算机", "系统", "互联网",
    ],
    key=len,
    reverse=True,
)  # fmt: skip
_LATIN_INDUSTRY_WORDS = frozenset(
    {
        "technology", "technologies", "tech", "software", "network", "networks", "information", "info",
        "services", "service", "solutions", "systems", "trading", "international", "digital", "global",
    }
)  # fmt: skip
_REGION_RE = "|".join(map(re.escape, _REGIONS))
# A region in brackets anywhere: 字节跳动(北京)科技 → 字节跳动科技.
_BRACKETED_REGION = re.compile(rf"[(\[【〔［]\s*(?:{_REGION_RE})\s*[)\]】〕］]")
_NOT_WORD = re.compile(r"[^\w]+|_")
# A Chinese character (the CJK unified ideographs and extension A).
CJK_CHARACTER = re.compile(r"[\u3400-\u9fff]")


def _fold(text: str) -> str:
    """Full width to half width, compatibility forms unified, lower case."""
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


def _strip_latin_words(words: list[str], drop: frozenset[str]) -> list[str]:
    while len(words) > 1 and words[-1] in drop:
        words.pop()
    return words


def _alternation(words: list[str]) -> str:
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


_LEGAL_TAIL = re.compile(rf"(?:{_alternation(_CJK_LEGAL_SUFFIXES)})+$")
_LEGAL_OR_INDUSTRY_TAIL = re.compile(rf"(?:{_alternation([*_CJK_LEGAL_SUFFIXES, *_INDUSTRY_WORDS])})+$")
_REGION_HEAD = re.compile(rf"^(?:{_REGION_RE})+")


def _strip(pattern: re.Pattern[str], text: str) -> str:
    """`text` without what `pattern` matches, unless nothing would be left."""
    stripped = pattern.sub("", text)
    return stripped or text


@lru_cache(maxsize=65536)
def company_keys(name: str) -> tuple[str, str]:
    """(core key, loose key) of a company name.

    The core key drops width, case, punctuation, legal suffixes and regions, so
    北京字节跳动科技有限公司, 字节跳动(北京)科技有限公司 and 字节跳动科技 are all `字节跳动科技`;
    the loose key also drops trailing industry words (`字节跳动`). Either is '' for an empty name.
    """
    text = _BRACKETED_REGION.sub("", _fold(name))
    words = [word for word in _NOT_WORD.split(text) if word]
    if not words:
        return "", ""
    words = _strip_latin_words(words, _LATIN_LEGAL_WORDS)
    core = _strip(_LEGAL_TAIL, _strip(_REGION_HEAD, _strip(_LEGAL_TAIL, "".join(words))))
    loose_words = _strip_latin_words([*words], _LATIN_LEGAL_WORDS | _LATIN_INDUSTRY_WORDS)
    loose = _strip(_REGION_HEAD, _strip(_LEGAL_TAIL, "".join(loose_words)))
    return core, _strip(_LEGAL_OR_INDUSTRY_TAIL, loose)


_REGION_ANYWHERE = re.compile(rf"^(?:{_REGION_RE})|[(\[【〔［]\s*(?:{_REGION_RE})\s*[)\]】〕］]")
_REGION_UNIT = re.compile(r"(?:省|市|自治区)$")


@lru_cache(maxsize=65536)
def company_region(name: str) -> str:
    """The region a company name starts with or carries in brackets (北京, 深圳…), or ''."""
    match = _REGION_ANYWHERE.search(_fold(name))
    if match is None:
        return ""
    return _REGION_UNIT.sub("", match.group(0).strip("()[]【】〔〕［］ "))


def company_key(name: str) -> str:
    """The key stored and indexed for candidate lookup (the loose key: widest recall)."""
    return company_keys(name)[1]


@lru_cache(maxsize=65536)
def person_key(name: str) -> str:
    """A person's name as sorted pinyin/latin syllables: 张伟, "Zhang Wei" and "Wei ZHANG" → `wei zhang`."""
    text = _fold(name)
    if CJK_CHARACTER.search(text):
        tokens = [token for token in lazy_pinyin(person_written(name), errors=lambda run: run) if token]
        return " ".join(sorted(token.lower() for token in tokens))
    return " ".join(sorted(word for word in _NOT_WORD.split(text) if word))


@lru_cache(maxsize=65536)
def person_written(name: str) -> str:
    """The name as written, width/case folded and without spaces or dots (张 伟 → 张伟)."""
    # No pinyin here: the scorer asks for this form of every candidate it compares.
    return "".join(_NOT_WORD.split(_fold(name)))


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def phone_key(raw: str) -> str:
    """E.164, or '' when the value is empty or cannot be a real number."""
    if not raw:
        return ""  # most records leave a phone column blank: no need to ask the phone library
    if _E164.match(raw):
        return raw  # stored values are E.164 already; parsing them again is the slow part of a scan
    try:
        return normalize_phone(raw or "", field="phone")
    except ValidationFailed:
        return ""


def email_key(raw: str) -> str:
    if not raw:
        return ""  # most records leave a key blank; the scorer asks for every key of every pair
    text = _fold(raw)
    return text if "@" in text else ""


def credit_code_key(raw: str) -> str:
    """A valid unified social credit code, upper case; '' for anything else."""
    if not raw:
        return ""
    code = normalize_credit_code(unicodedata.normalize("NFKC", raw or ""))
    return code if is_valid_credit_code(code) else ""


def website_key(raw: str) -> str:
    """The host of a web address without `www.`: https://WWW.Example.com/a → example.com."""
    if not raw:
        return ""
    text = _fold(raw)
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0].split(":", 1)[0]
    return text.removeprefix("www.")


def address_key(raw: str) -> str:
    if not raw:
        return ""
    return "".join(_NOT_WORD.split(_fold(raw)))
