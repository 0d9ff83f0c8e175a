import base64
import datetime as dt
import json

import pytest
import time_machine
from django.db import connection

from conftest import Org
from crm.core.errors import NotFound
from crm.core.pagination import InvalidCursor, SortKey, encode_cursor, paginate
from crm.customers.models import Customer
from crm.customers.selectors import (
    ContactFilters,
    CustomerFilters,
    contact_list,
    customer_get,
    customer_list,
    customer_page,
)
from crm.customers.services import customer_update
from crm.customers.tests.factories import a_contact, a_customer


def _names(org: Org, q: str) -> list[str]:
    customers = customer_list(viewer=org.actor(org.rep_a1), filters=CustomerFilters(q=q))
    return sorted(customer.name for customer in customers)


@pytest.fixture
def searchable(org: Org) -> None:
    a_customer(org.rep_a1, name="字节跳动科技有限公司", phone="13812345678", email="bd@bytedance.com")
    a_customer(org.rep_a1, name="上海华信科技有限公司", phone="021-62345678", email="sales@huaxin.cn")
    a_customer(org.rep_a1, name="Acme Trading Ltd", phone="+1 650-253-0000")


@pytest.mark.django_db
def test_search_is_backed_by_the_vendors_substring_index() -> None:
    # given the test database
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # then three-character queries go through the FTS5 trigram table kept by triggers
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'customers_customer_fts'")
        else:
            # then PostgreSQL answers substring queries from a pg_trgm GIN index
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = 'customers_customer_search_trgm'")
        assert cursor.fetchone() is not None


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("跳动科", ["字节跳动科技有限公司"]),
        ("科技有限", ["上海华信科技有限公司", "字节跳动科技有限公司"]),
        ("华信", ["上海华信科技有限公司"]),
        ("字", ["字节跳动科技有限公司"]),
        ("acme", ["Acme Trading Ltd"]),
        ("TRADING", ["Acme Trading Ltd"]),
        ("zijietiaodong", ["字节跳动科技有限公司"]),
        ("zjtd", ["字节跳动科技有限公司"]),
        ("ZJTD", ["字节跳动科技有限公司"]),
        ("shhx", ["上海华信科技有限公司"]),
        ("13812345678", ["字节跳动科技有限公司"]),
        ("5678", ["上海华信科技有限公司", "字节跳动科技有限公司"]),
        ("02162345678", ["上海华信科技有限公司"]),
        ("6502530000", ["Acme Trading Ltd"]),
        ("sales@huaxin", ["上海华信科技有限公司"]),
        ("bytedance.com", ["字节跳动科技有限公司"]),
        ("腾讯", []),
        ("no such thing", []),
    ],
)
def test_customer_list_finds_by_name_pinyin_phone_and_email(
    org: Org, searchable: None, q: str, expected: list[str]
) -> None:
    # given customers with Chinese and English names, phones and emails
    # when the list is searched
    # then exactly the matching customers come back
    assert _names(org, q) == expected


@pytest.mark.parametrize("q", ['"', "'; DROP TABLE x; --", "a OR b", "NEAR(", "*", "zj*"])
def test_customer_list_search_treats_query_syntax_as_plain_text(org: Org, searchable: None, q: str) -> None:
    # given searchable customers
    # when the query contains FTS5 or SQL syntax
    # then nothing fails and nothing matches
    assert _names(org, q) == []


def test_search_follows_a_renamed_customer(org: Org) -> None:
    # given a customer renamed after creation
    customer = a_customer(org.rep_a1, name="字节跳动科技有限公司")
    customer_update(actor=org.actor(org.rep_a1), customer_id=customer.pk, version=1, values={"name": "抖音集团"})

    # when searching by the old and the new name
    # then only the new name finds it
    assert _names(org, "zjtd") == []
    assert _names(org, "抖音集") == ["抖音集团"]


def test_search_never_shows_customers_the_viewer_cannot_see(org: Org) -> None:
    # given a matching customer of another team
    a_customer(org.rep_b1, name="字节跳动科技有限公司")

    # when rep_a1 searches for it
    # then nothing is found
    assert _names(org, "zjtd") == []


def test_contact_list_finds_by_name_pinyin_and_mobile(org: Org) -> None:
    # given two contacts
    a_contact(org.rep_a1, name="欧阳澜清", mobile="13987658765", email="ouyang@matrix.cn")
    a_contact(org.rep_a1, name="Li Na", mobile="13600001111", email="lina@example.com")
    viewer = org.actor(org.rep_a1)

    # when searching
    def names(q: str) -> list[str]:
        return [c.name for c in contact_list(viewer=viewer, filters=ContactFilters(q=q))]

    # then each form finds the right one
    assert names("oyl") == ["欧阳澜清"]
    assert names("ouyanglan") == ["欧阳澜清"]
    assert names("8765") == ["欧阳澜清"]
    assert names("li na") == ["Li Na"]


def test_customer_list_applies_each_viewers_visibility(org: Org) -> None:
    # given one customer per rep
    mine = a_customer(org.rep_a1, name="a1 的客户")
    teammate = a_customer(org.rep_a2, name="a2 的客户")
    east_b = a_customer(org.rep_b1, name="b1 的客户")
    north = a_customer(org.rep_n1, name="n1 的客户")

    def seen_by(viewer: object) -> set[int]:
        return {c.pk for c in customer_list(viewer=org.actor(viewer), filters=CustomerFilters())}  # type: ignore[arg-type]

    # when each role lists customers
    # then reps see their own, managers their subtree, director and finance everything
    assert seen_by(org.rep_a1) == {mine.pk}
    assert seen_by(org.rep_a2) == {teammate.pk}
    assert seen_by(org.east_a_manager) == {mine.pk, teammate.pk}
    assert seen_by(org.east_manager) == {mine.pk, teammate.pk, east_b.pk}
    assert seen_by(org.director) == {mine.pk, teammate.pk, east_b.pk, north.pk}
    assert seen_by(org.finance) == {mine.pk, teammate.pk, east_b.pk, north.pk}
    assert seen_by(org.admin) == {mine.pk, teammate.pk, east_b.pk, north.pk}


def test_customer_list_filters_by_grade_tag_and_team_subtree(org: Org) -> None:
    # given customers with different grades, tags and teams
    a = a_customer(org.rep_a1, name="甲", grade="A", tags=["重点"])
    b = a_customer(org.rep_a2, name="乙", grade="B")
    c = a_customer(org.rep_b1, name="丙", grade="A")
    a_customer(org.rep_n1, name="丁", grade="A")
    viewer = org.actor(org.director)

    def pks(filters: CustomerFilters) -> set[int]:
        return {customer.pk for customer in customer_list(viewer=viewer, filters=filters)}

    # when filtering
    # then only the matching customers remain
    assert pks(CustomerFilters(grade="A", team_id=org.east.pk)) == {a.pk, c.pk}
    assert pks(CustomerFilters(team_id=org.east_a.pk)) == {a.pk, b.pk}
    assert pks(CustomerFilters(tag="重点")) == {a.pk}
    assert pks(CustomerFilters(owner_id=org.rep_b1.pk)) == {c.pk}


def test_customer_get_answers_not_found_for_a_hidden_customer(org: Org) -> None:
    # given a customer of another team
    customer = a_customer(org.rep_b1)

    # when rep_a1 reads it
    # then it looks exactly like a missing one
    with pytest.raises(NotFound):
        customer_get(viewer=org.actor(org.rep_a1), customer_id=customer.pk)
    with pytest.raises(NotFound):
        customer_get(viewer=org.actor(org.rep_a1), customer_id=999_999)


def _walk(org: Org, filters: CustomerFilters, size: int) -> list[int]:
    """Every id in list order, following next_cursor page by page."""
    viewer = org.actor(org.rep_a1)
    seen: list[int] = []
    cursor = None
    for _page in range(50):
        page = customer_page(viewer=viewer, filters=filters, cursor=cursor, size=size)
        seen.extend(customer.pk for customer in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


def test_pages_by_name_neither_repeat_nor_skip_rows_with_equal_names(org: Org) -> None:
    # given seven customers with the same name between two others
    first = a_customer(org.rep_a1, name="A 公司")
    same = [a_customer(org.rep_a1, name="华信") for _ in range(7)]
    last = a_customer(org.rep_a1, name="Z 公司")

    # when walking the list sorted by name three at a time
    seen = _walk(org, CustomerFilters(sort="name"), size=3)

    # then every row comes once, ties in id order
    assert seen == [first.pk, last.pk, *[c.pk for c in same]]


def test_pages_by_creation_time_neither_repeat_nor_skip_rows_created_at_the_same_instant(org: Org) -> None:
    # given eight customers created at the same instant
    with time_machine.travel(dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC), tick=False):
        customers = [a_customer(org.rep_a1, name=f"客户{number}") for number in range(8)]

    # when walking the newest-first list three at a time
    seen = _walk(org, CustomerFilters(), size=3)

    # then every row comes once, the newest id first
    assert seen == sorted((c.pk for c in customers), reverse=True)


def test_the_last_page_has_no_next_cursor(org: Org) -> None:
    # given exactly one page of customers
    for number in range(3):
        a_customer(org.rep_a1, name=f"客户{number}")

    # when the first page of three is read
    page = customer_page(viewer=org.actor(org.rep_a1), filters=CustomerFilters(), cursor=None, size=3)

    # then it holds all three and says there is no more
    assert (len(page.items), page.has_more, page.next_cursor) == (3, False, None)


def test_page_size_is_capped_at_one_hundred(org: Org) -> None:
    # given 101 customers
    Customer.objects.bulk_create(
        Customer(name=f"客户{number:03d}", owner=org.rep_a1, team=org.east_a) for number in range(101)
    )

    # when a page of a thousand is asked for
    page = paginate(Customer.objects.all(), sort=SortKey("name", descending=False), size=1000)

    # then a hundred come back and the rest is behind the cursor
    assert [c.name for c in page.items] == [f"客户{number:03d}" for number in range(100)]
    assert page.has_more is True
    assert page.next_cursor is not None


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encode_cursor("not a time", 5),
        encode_cursor({"dt": "yesterday"}, 5),
        encode_cursor([1, 2], 5),
        base64.urlsafe_b64encode(json.dumps([{"dt": "2025-01-01T00:00:00"}, "5"]).encode()).decode(),
    ],
)
def test_customer_page_refuses_a_forged_cursor(org: Org, cursor: str) -> None:
    # given a customer
    a_customer(org.rep_a1)

    # when a page is read with a cursor the server did not make
    # then it is refused as an invalid cursor (not a crash)
    with pytest.raises(InvalidCursor):
        customer_page(viewer=org.actor(org.rep_a1), filters=CustomerFilters(), cursor=cursor, size=10)
