"""Pinyin spellings of Chinese names, so `zjtd` and `zijietiaodong` both find 字节跳动."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def pinyin_forms(text: str) -> tuple[str, str]:
    """Return (full pinyin, initials) of the Chinese characters in `text`, lower case.

    Non-Chinese runs are kept as they are in the full form and dropped from the initials,
    so `华为Huawei` → ("huaweihuawei", "hw").
    """
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "", ""
    # Latin letters and digits stay; spaces and brackets go, so 字节跳动（北京） is one run of letters.
    syllables = lazy_pinyin(text, errors=lambda run: "".join(ch for ch in run if ch.isalnum()))
    initials = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(syllables).lower(), "".join(initials).lower()
