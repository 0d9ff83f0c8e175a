import pytest

from crm.core.credit_code import check_character, is_valid_credit_code, normalize_credit_code

VALID = "91110000600037341L"


def test_check_character_completes_the_first_seventeen_characters() -> None:
    # given the first 17 characters of a registered code
    # when the check character is computed
    # then it is the 18th character of the real code
    assert check_character(VALID[:17]) == "L"


@pytest.mark.parametrize("code", [VALID, "91350100M000100Y43"])
def test_a_code_with_the_right_check_character_is_valid(code: str) -> None:
    # given a code whose checksum matches
    # when it is checked
    # then it is valid
    assert is_valid_credit_code(code) is True


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341A",  # wrong check character
        "91110000600037341",  # 17 characters
        "91110000600037341LL",  # 19 characters
        "91110000600037341I",  # I is not in the code alphabet
        "91110000600037341l",  # lower case is not normalised here
        "",
    ],
)
def test_a_code_with_a_wrong_length_alphabet_or_checksum_is_invalid(code: str) -> None:
    # given a malformed code
    # when it is checked
    # then it is invalid
    assert is_valid_credit_code(code) is False


def test_normalize_credit_code_removes_spaces_and_upper_cases() -> None:
    # given a code typed with spaces and lower case letters
    # when it is normalised
    normalized = normalize_credit_code(" 9111 0000 6000 3734 1l ")

    # then it is the canonical form, which is valid
    assert normalized == VALID
    assert is_valid_credit_code(normalized) is True
