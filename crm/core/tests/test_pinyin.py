import pytest

from crm.core.pinyin import pinyin_forms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("字节跳动", ("zijietiaodong", "zjtd")),
        ("重庆银行", ("chongqingyinhang", "cqyh")),
        ("上海华信科技有限公司", ("shanghaihuaxinkejiyouxiangongsi", "shhxkjyxgs")),
        ("字节跳动（北京）科技有限公司", ("zijietiaodongbeijingkejiyouxiangongsi", "zjtdbjkjyxgs")),
    ],
)
def test_pinyin_forms_gives_full_spelling_and_initials(text: str, expected: tuple[str, str]) -> None:
    # given a Chinese name
    # when its pinyin forms are taken
    # then both the full spelling and the initials come back, lower case
    assert pinyin_forms(text) == expected


def test_pinyin_forms_keeps_latin_runs_in_the_full_form_and_drops_them_from_the_initials() -> None:
    # given a name mixing Chinese and Latin letters
    # when its pinyin forms are taken
    forms = pinyin_forms("华为Huawei")

    # then the Latin run stays in the full spelling only
    assert forms == ("huaweihuawei", "hw")


@pytest.mark.parametrize("text", ["ByteDance Ltd", "", "12345"])
def test_pinyin_forms_is_empty_for_text_without_chinese(text: str) -> None:
    # given text without Chinese characters
    # when its pinyin forms are taken
    # then there are none (the text itself is searchable already)
    assert pinyin_forms(text) == ("", "")


def test_pinyin_forms_reads_a_remembered_word_the_same_in_every_name() -> None:
    # given names that share words, some read differently in a phrase (重庆, 长沙 vs 长大)
    names = ["重庆长沙银行", "长沙重庆行", "银行长大", "长大重庆", "重庆长沙银行分行"]

    # when their forms are taken twice, the second time from remembered words
    first = [pinyin_forms.__wrapped__(name) for name in names]
    again = [pinyin_forms.__wrapped__(name) for name in names]

    # then each name reads as on its own, and nothing changes on the second pass
    assert first == [
        ("chongqingchangshayinhang", "cqcsyh"),
        ("changshachongqingxing", "cscqx"),
        ("yinhangzhangda", "yhzd"),
        ("zhangdachongqing", "zdcq"),
        ("chongqingchangshayinhangfenhang", "cqcsyhfh"),
    ]
    assert again == first
