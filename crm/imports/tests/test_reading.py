from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from crm.core.errors import ValidationFailed
from crm.imports.reading import read_table
from crm.imports.tests.files import csv_bytes, xlsx_bytes

ROWS = [["姓名", "手机", "公司名称"], ["张伟", "13812345678", "北京字节跳动科技有限公司"]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_supported_encoding_reads_the_same_chinese_text(encoding: str) -> None:
    # given the same table saved in another encoding
    data = csv_bytes(ROWS, encoding)

    # when it is read
    table = read_table(data, "客户.csv")

    # then the Chinese headers and cells come back intact
    assert table.headers == ["姓名", "手机", "公司名称"]
    assert table.rows == [(2, ["张伟", "13812345678", "北京字节跳动科技有限公司"])]


def test_empty_rows_are_skipped_and_row_numbers_stay_those_of_the_file() -> None:
    # given blank lines and a row of empty cells between data rows
    data = "\n".join(["name,mobile", "", "张伟,13812345678", ",", "李娜,13912345678"]).encode()

    # when it is read
    table = read_table(data, "leads.csv")

    # then only the two data rows remain, numbered as in the file
    assert [number for number, _cells in table.rows] == [3, 5]


def test_semicolon_separated_csv_is_recognised() -> None:
    table = read_table(b"name;email\nAlice Chen;alice@example.com\n", "x.csv")

    assert table.rows == [(2, ["Alice Chen", "alice@example.com"])]


def test_text_in_an_unknown_encoding_is_refused_with_a_clear_message() -> None:
    # given bytes that are neither UTF-8 nor GB18030
    data = b"name\n\xff\xfe\xfa\x80\x81\n"

    # when it is read / then the message names the problem
    with pytest.raises(ValidationFailed) as caught:
        read_table(data, "x.csv")
    assert caught.value.errors[0].field == "file"
    assert "UTF-8" in caught.value.message


def test_a_binary_file_with_a_csv_name_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="not a CSV"):
        read_table(b"\x00\x01\x02garbage", "x.csv")


def test_an_old_xls_file_is_refused_with_advice() -> None:
    with pytest.raises(ValidationFailed, match=r"\.xls"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "客户.xls")


def test_a_damaged_xlsx_file_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="damaged"):
        read_table(b"PK\x03\x04 this is not really a zip", "x.xlsx")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="empty"):
        read_table(b"\n\n", "x.csv")


@override_settings(CRM_IMPORT_MAX_ROWS=2)
def test_a_file_over_the_row_cap_is_refused_naming_the_cap() -> None:
    data = csv_bytes([["name"], ["甲"], ["乙"], ["丙"]])

    with pytest.raises(ValidationFailed, match="more than 2 rows"):
        read_table(data, "x.csv")


@override_settings(CRM_IMPORT_MAX_BYTES=1024 * 1024)
def test_a_file_over_the_size_cap_is_refused_naming_the_cap() -> None:
    with pytest.raises(ValidationFailed, match="larger than 1 MB"):
        read_table(b"name\n" + b"x" * (1024 * 1024), "x.csv")


def test_xlsx_cells_are_read_as_text_formulas_included() -> None:
    # given a workbook with a number typed as a phone, a date and a formula
    data = xlsx_bytes(
        [
            ["name", "mobile", "birthday", "notes"],
            ["王芳", 13812345678, dt.date(1990, 5, 17), '=HYPERLINK("http://evil.example","点我")'],
            [None, None, None, None],
        ]
    )

    # when it is read
    table = read_table(data, "contacts.xlsx")

    # then every cell is text; the formula is its own text, never evaluated; the empty row is gone
    assert table.rows == [(2, ["王芳", "13812345678", "1990-05-17", '=HYPERLINK("http://evil.example","点我")'])]
