import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from crm.core.pagination import InvalidCursor, decode_cursor, encode_cursor


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2025, 3, 3, 9, 30, 15, 123456, tzinfo=dt.UTC),
        dt.date(2025, 3, 3),
        Decimal("12000000.50"),
        "上海华信科技有限公司",
        42,
        None,
    ],
)
def test_a_cursor_round_trips_the_sort_value_and_id(value: Any) -> None:
    # given the last row's sort value and id
    # when a cursor is encoded and decoded again
    cursor = encode_cursor(value, 1234)
    decoded = decode_cursor(cursor)

    # then the same value (with its type) and id come back
    assert decoded == (value, 1234)
    assert type(decoded[0]) is type(value)


def test_a_cursor_is_url_safe_without_padding() -> None:
    # given a value whose encoding would need padding and URL-unsafe characters
    # when it is encoded
    cursor = encode_cursor("??>>字节跳动", 7)

    # then it can go in a query string as it is
    assert "=" not in cursor
    assert "+" not in cursor
    assert "/" not in cursor


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!not-base64!!!",
        "abc",
        _b64("not json"),
        _b64(json.dumps(["2025-01-01", "12"])),
        _b64(json.dumps(["2025-01-01", 1.5])),
        _b64(json.dumps([1, 2, 3])),
        _b64(json.dumps({"value": 1})),
        _b64(json.dumps(7)),
        _b64(json.dumps([{"dt": "yesterday"}, 5])),
        _b64(json.dumps([{"d": 20250101}, 5])),
    ],
)
def test_decode_cursor_refuses_anything_it_did_not_make(cursor: str) -> None:
    # given a cursor that was tampered with or made up
    # when it is decoded
    # then it is refused as invalid
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)
