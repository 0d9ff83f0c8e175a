import phonenumbers
import pytest

from crm.core.errors import FieldError, ValidationFailed
from crm.core.phone import display_phone, mask_email, mask_phone, national_digits, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("021-62345678", "+862162345678"),
        ("(010) 6552 9988", "+861065529988"),
        ("+1 650-253-0000", "+16502530000"),
    ],
)
def test_normalize_phone_reads_numbers_as_mainland_china_unless_a_country_code_is_given(
    raw: str, expected: str
) -> None:
    # given a number as people type it
    # when it is normalised
    normalized = normalize_phone(raw, field="mobile")

    # then it is stored in E.164
    assert normalized == expected


@pytest.mark.parametrize("raw", ["", "   "])
def test_normalize_phone_keeps_an_empty_value_empty(raw: str) -> None:
    # given no number
    # when it is normalised
    # then nothing is stored
    assert normalize_phone(raw, field="mobile") == ""


@pytest.mark.parametrize("raw", ["12345", "1381234567", "abc", "+86 999"])
def test_normalize_phone_refuses_a_number_that_cannot_exist_naming_the_field(raw: str) -> None:
    # given a number that is too short, too long or not a number at all
    # when it is normalised
    with pytest.raises(ValidationFailed) as caught:
        normalize_phone(raw, field="mobile")

    # then the refusal names the field and quotes the value
    assert caught.value.code == "validation_failed"
    assert [error.field for error in caught.value.errors] == ["mobile"]
    assert caught.value.errors == [FieldError(field="mobile", message=caught.value.message)]
    assert raw in caught.value.message


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+8613812345678", "13812345678"),
        ("+862162345678", "02162345678"),
        ("+8657187654321", "057187654321"),
        ("", ""),
    ],
)
def test_national_digits_are_what_a_caller_in_china_dials(e164: str, expected: str) -> None:
    # given a stored number
    # when its national digits are taken
    # then mobiles have eleven digits and landlines keep the leading 0 of the area code
    assert national_digits(e164) == expected


def test_national_digits_of_mainland_mobiles_agree_with_the_numbering_plan_for_every_prefix() -> None:
    # given a mobile-shaped number for every four-digit prefix from 130 to 199, with varied endings
    numbers = [f"+86{prefix}{(prefix * 7919) % 10**7:07d}" for prefix in range(1300, 2000)]

    # when their national digits are taken without parsing
    digits = [national_digits(number) for number in numbers]

    # then each is what the phone library formats for a caller at home
    expected = [
        "".join(
            ch
            for ch in phonenumbers.format_number(
                phonenumbers.parse(number, None), phonenumbers.PhoneNumberFormat.NATIONAL
            )
            if ch.isdigit()
        )
        for number in numbers
    ]
    assert digits == expected


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+8613812345678", "13812345678"),
        ("+862162345678", "02162345678"),
        ("+16502530000", "+1 650-253-0000"),
        ("", ""),
    ],
)
def test_display_phone_shows_chinese_numbers_nationally_and_others_internationally(e164: str, expected: str) -> None:
    # given a stored number
    # when it is shown
    # then a Chinese number reads as dialled at home, a foreign one with its country code
    assert display_phone(e164) == expected


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+8613812345678", "138****5678"),
        ("+862162345678", "021****5678"),
        ("+16502530000", "+16****0000"),
        ("", ""),
    ],
)
def test_mask_phone_keeps_the_first_three_and_last_four_digits(e164: str, expected: str) -> None:
    # given a stored number
    # when it is masked
    # then only the ends remain readable
    assert mask_phone(e164) == expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("zhang.wei@example.com", "z***@example.com"),
        ("li@huaxin.cn", "l***@huaxin.cn"),
        ("not-an-email", "***"),
        ("", ""),
    ],
)
def test_mask_email_keeps_the_first_character_and_the_domain(email: str, expected: str) -> None:
    # given an email address
    # when it is masked
    # then the mailbox name is hidden
    assert mask_email(email) == expected
