from crm.core.search import build_search_text, normalize_query


def test_build_search_text_holds_name_pinyin_phone_digits_and_other_text() -> None:
    # given a Chinese name, a mobile number and an email
    # when the search text is built
    text = build_search_text(names=["字节跳动"], phones=["+8613812345678"], others=["Sales@ByteDance.com"])

    # then every form a user may type is in it, lower case, space separated
    assert text == "字节跳动 zijietiaodong zjtd 8613812345678 13812345678 sales@bytedance.com"


def test_build_search_text_lower_cases_latin_names_without_adding_pinyin() -> None:
    # given an English name with irregular spacing
    # when the search text is built
    text = build_search_text(names=["Zhang  Wei"])

    # then it is lower case with single spaces and no pinyin forms
    assert text == "zhang wei"


def test_build_search_text_skips_empty_values() -> None:
    # given empty names, phones and others
    # when the search text is built
    text = build_search_text(names=["", "华信"], phones=["", "+862162345678"], others=["", None])  # type: ignore[list-item]

    # then only the filled values appear, without stray spaces
    assert text == "华信 huaxin hx 862162345678 02162345678"


def test_normalize_query_trims_lower_cases_and_collapses_spaces() -> None:
    # given a query as typed
    # when it is normalised
    # then it matches the search text's form
    assert normalize_query("  ZJTD   Beijing ") == "zjtd beijing"
