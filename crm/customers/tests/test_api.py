import json
from typing import Any

import pytest
from django.test import Client

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.core.actors import api_actor
from crm.customers.models import Contact, Customer
from crm.customers.services import customer_update
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.models import BuiltinRole, Role, User
from crm.identity.services import role_update, token_create

ERROR_KEYS = {"detail", "code", "errors"}


def api_client(user: User) -> Client:
    """A client that authenticates every request with a fresh personal token of `user`."""
    _token, secret = token_create(actor=api_actor(user), name="tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    # English messages and field labels, so assertions do not depend on compiled translations.
    client.cookies["crm_language"] = "en"
    return client


def send(client: Client, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
    body = json.dumps(payload) if payload is not None else None
    response = getattr(client, method)(path, data=body, content_type="application/json")
    return response.status_code, (response.json() if response.content else None)


def test_create_customer_returns_201_with_the_stored_customer(org: Org) -> None:
    # given a rep with a token
    client = api_client(org.rep_a1)

    # when they create a customer
    status, body = send(
        client,
        "post",
        "/api/v1/customers",
        {
            "name": "字节跳动科技有限公司",
            "grade": "A",
            "tags": ["重点"],
            "phone": "138 1234 5678",
            "email": "BD@bytedance.com",
            "annual_revenue": "12000000.5",
            "credit_code": "91110000600037341L",
        },
    )

    # then it is created, owned by the rep, in clean form
    assert status == 201
    customer = Customer.objects.get()
    assert body["id"] == customer.pk
    assert body["version"] == 1
    assert body["name"] == "字节跳动科技有限公司"
    assert body["grade"] == "A"
    assert body["tags"] == ["重点"]
    assert body["phone"] == "13812345678"
    assert body["email"] == "bd@bytedance.com"
    assert body["annual_revenue"] == "12000000.50"
    assert body["owner"] == {"id": org.rep_a1.pk, "name": "张伟"}
    assert body["team_id"] == org.east_a.pk
    assert AuditEntry.objects.get(target_type="customers.customer").source == "api"


def test_get_customer_returns_one_visible_customer(org: Org) -> None:
    # given a rep's customer
    customer = a_customer(org.rep_a1, name="上海华信科技有限公司", phone="13812345678")

    # when the owner reads it
    status, body = send(api_client(org.rep_a1), "get", f"/api/v1/customers/{customer.pk}")

    # then it comes back unmasked
    assert status == 200
    assert (body["id"], body["name"], body["phone"]) == (customer.pk, "上海华信科技有限公司", "13812345678")


def test_update_customer_changes_the_sent_fields_and_bumps_the_version(org: Org) -> None:
    # given a customer at version 1
    customer = a_customer(org.rep_a1, grade="B", industry="软件与信息服务")

    # when its owner patches the grade
    status, body = send(
        api_client(org.rep_a1), "patch", f"/api/v1/customers/{customer.pk}", {"version": 1, "grade": "A"}
    )

    # then only the grade changed and the version moved on
    assert status == 200
    assert (body["grade"], body["industry"], body["version"]) == ("A", "软件与信息服务", 2)
    customer.refresh_from_db()
    assert (customer.grade, customer.version) == ("A", 2)


def test_update_customer_from_a_stale_version_is_409_listing_the_changes(org: Org) -> None:
    # given a customer someone changed after the client read version 1
    customer = a_customer(org.rep_a1, name="上海华信科技有限公司")
    customer_update(actor=org.actor(org.rep_a1), customer_id=customer.pk, version=1, values={"name": "华信一号"})

    # when the client saves from version 1
    status, body = send(
        api_client(org.rep_a1), "patch", f"/api/v1/customers/{customer.pk}", {"version": 1, "grade": "A"}
    )

    # then it gets a conflict with what changed, and nothing of theirs is saved
    assert status == 409
    assert body["code"] == "conflict"
    assert body["errors"] == []
    assert [(c["field"], c["old"], c["new"], c["by"]) for c in body["changes"]] == [
        ("name", "上海华信科技有限公司", "华信一号", "张伟")
    ]
    customer.refresh_from_db()
    assert (customer.grade, customer.version) == ("B", 2)


def test_update_customer_without_a_version_is_422(org: Org) -> None:
    # given a customer
    customer = a_customer(org.rep_a1)

    # when it is patched without saying which version was read
    status, body = send(api_client(org.rep_a1), "patch", f"/api/v1/customers/{customer.pk}", {"grade": "A"})

    # then the version field is required
    assert status == 422
    assert body["errors"] == [{"field": "version", "message": "This field is required."}]


def test_delete_customer_moves_it_to_the_recycle_bin_and_restore_brings_it_back(org: Org) -> None:
    # given a customer
    customer = a_customer(org.rep_a1)
    client = api_client(org.rep_a1)

    # when it is deleted
    status, body = send(client, "delete", f"/api/v1/customers/{customer.pk}")

    # then it is gone from reads but kept in the table
    assert (status, body) == (204, None)
    assert send(client, "get", f"/api/v1/customers/{customer.pk}")[0] == 404
    assert Customer.all_objects.filter(pk=customer.pk, deleted_at__isnull=False).exists()

    # when it is restored
    status, body = send(client, "post", f"/api/v1/customers/{customer.pk}/restore")

    # then it is back
    assert (status, body["id"]) == (200, customer.pk)
    assert send(client, "get", f"/api/v1/customers/{customer.pk}")[0] == 200


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("patch", "", {"version": 1, "grade": "A"}),
        ("delete", "", None),
    ],
)
def test_a_customer_the_user_cannot_see_is_404_not_403(
    org: Org, method: str, suffix: str, payload: dict[str, Any] | None
) -> None:
    # given a customer of another team
    customer = a_customer(org.rep_b1, grade="B")

    # when rep_a1 reads, changes or deletes it
    status, body = send(api_client(org.rep_a1), method, f"/api/v1/customers/{customer.pk}{suffix}", payload)

    # then it answers exactly like a missing customer, and nothing changed
    missing_status, missing_body = send(api_client(org.rep_a1), method, f"/api/v1/customers/999999{suffix}", payload)
    assert status == 404
    assert body == missing_body
    assert missing_status == 404
    assert body["code"] == "not_found"
    customer.refresh_from_db()
    assert (customer.grade, customer.version, customer.deleted_at) == ("B", 1, None)


def test_list_customers_filters_and_pages_with_next_cursor(org: Org) -> None:
    # given five grade-A and two grade-B customers
    grade_a = [a_customer(org.rep_a1, name=f"A 级客户 {number}", grade="A") for number in range(5)]
    for number in range(2):
        a_customer(org.rep_a1, name=f"B 级客户 {number}", grade="B")
    client = api_client(org.rep_a1)

    # when the grade-A list is read two at a time, following next_cursor
    seen: list[int] = []
    cursors: list[str | None] = []
    path = "/api/v1/customers?grade=A&limit=2"
    while True:
        status, body = send(client, "get", path)
        assert status == 200
        seen.extend(item["id"] for item in body["items"])
        cursors.append(body["next_cursor"])
        if body["next_cursor"] is None:
            break
        path = f"/api/v1/customers?grade=A&limit=2&cursor={body['next_cursor']}"

    # then three pages bring every grade-A customer once, newest first
    assert len(cursors) == 3
    assert seen == [c.pk for c in reversed(grade_a)]


def test_list_customers_searches_by_pinyin_initials(org: Org) -> None:
    # given two customers
    wanted = a_customer(org.rep_a1, name="字节跳动科技有限公司")
    a_customer(org.rep_a1, name="上海华信科技有限公司")

    # when the list is searched for zjtd
    status, body = send(api_client(org.rep_a1), "get", "/api/v1/customers?q=zjtd")

    # then only 字节跳动 is found
    assert status == 200
    assert [item["id"] for item in body["items"]] == [wanted.pk]


def test_list_customers_only_shows_what_the_user_may_see(org: Org) -> None:
    # given customers of rep_a1 and rep_b1
    mine = a_customer(org.rep_a1)
    a_customer(org.rep_b1)

    # when rep_a1 lists customers
    status, body = send(api_client(org.rep_a1), "get", "/api/v1/customers")

    # then only their own is listed
    assert status == 200
    assert [item["id"] for item in body["items"]] == [mine.pk]
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "客户", "phone": "12345"}, "phone"),
        ({"name": "客户", "grade": "Z"}, "grade"),
        ({"name": "客户", "email": "not-an-email"}, "email"),
        ({"name": "客户", "credit_code": "91110000600037341A"}, "credit_code"),
        ({"name": "客户", "annual_revenue": "-1"}, "annual_revenue"),
        ({"name": "客户", "annual_revenue": "lots"}, "annual_revenue"),
        ({"name": "客户", "tags": "重点"}, "tags"),
        ({"name": "  "}, "name"),
        ({"grade": "A"}, "name"),
        ({"name": "客户", "owner_id": 999999}, "owner"),
        ({"name": "客户", "owner_id": "abc"}, "owner_id"),
    ],
)
def test_create_customer_with_bad_input_is_422_naming_the_field(org: Org, payload: dict[str, Any], field: str) -> None:
    # given a rep
    # when they send a bad value
    status, body = send(api_client(org.rep_a1), "post", "/api/v1/customers", payload)

    # then the answer is 422 naming exactly that field, and nothing is stored
    assert status == 422
    assert set(body) == ERROR_KEYS
    assert body["code"] == "validation_failed"
    assert [error["field"] for error in body["errors"]] == [field]
    assert all(error["message"] for error in body["errors"])
    assert Customer.all_objects.count() == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=1000", "limit"),
        ("limit=0", "limit"),
        ("sort=password", "sort"),
        ("owner_id=abc", "owner_id"),
        ("created_from=yesterday", "created_from"),
    ],
)
def test_list_customers_with_bad_filters_is_422_naming_the_parameter(org: Org, query: str, field: str) -> None:
    # given a rep
    # when they list with a bad filter
    status, body = send(api_client(org.rep_a1), "get", f"/api/v1/customers?{query}")

    # then the parameter is named
    assert status == 422
    assert [error["field"] for error in body["errors"]] == [field]


def test_list_customers_with_limit_1000_says_the_maximum(org: Org) -> None:
    # given a rep
    # when they ask for a thousand rows
    status, body = send(api_client(org.rep_a1), "get", "/api/v1/customers?limit=1000")

    # then the message states the cap
    assert status == 422
    assert body["errors"] == [{"field": "limit", "message": "Enter a value of at most 100."}]


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "WyJub3QgYSB0aW1lIiw1XQ"])
def test_list_customers_with_a_bad_cursor_is_400(org: Org, cursor: str) -> None:
    # given a customer
    a_customer(org.rep_a1)

    # when the list is read with a cursor the server did not make
    status, body = send(api_client(org.rep_a1), "get", f"/api/v1/customers?cursor={cursor}")

    # then it is a 400 naming the cursor
    assert status == 400
    assert body["code"] == "invalid_cursor"
    assert [error["field"] for error in body["errors"]] == ["cursor"]


def test_a_rep_whose_role_masks_sees_a_team_mates_phone_and_email_masked(org: Org) -> None:
    # given the rep role widened to see the team (it masks contact details), and a team mate's customer
    role_update(actor=org.actor(org.admin), role_id=Role.objects.get(code=BuiltinRole.SALES_REP).pk, visibility="team")
    customer = a_customer(org.rep_a2, phone="13812345678", email="zhang.wei@huaxin.cn")
    contact = a_contact(org.rep_a2, customer, mobile="13987658765", email="ouyang@huaxin.cn")
    client = api_client(org.rep_a1)

    # when rep_a1 reads the customer, the list and the contact
    _status, one = send(client, "get", f"/api/v1/customers/{customer.pk}")
    _status, listed = send(client, "get", "/api/v1/customers")
    _status, person = send(client, "get", f"/api/v1/contacts/{contact.pk}")

    # then phone and email are masked everywhere, while the owner sees them in full
    assert (one["phone"], one["email"]) == ("138****5678", "z***@huaxin.cn")
    assert (listed["items"][0]["phone"], listed["items"][0]["email"]) == ("138****5678", "z***@huaxin.cn")
    assert (person["mobile"], person["email"]) == ("139****8765", "o***@huaxin.cn")
    _status, own = send(api_client(org.rep_a2), "get", f"/api/v1/customers/{customer.pk}")
    assert (own["phone"], own["email"]) == ("13812345678", "zhang.wei@huaxin.cn")


def test_a_masked_viewer_cannot_overwrite_the_phone_through_the_api(org: Org) -> None:
    # given a team manager whose role masks, and a customer of their team
    role_update(
        actor=org.actor(org.admin), role_id=Role.objects.get(code=BuiltinRole.SALES_MANAGER).pk, masks_contact_info=True
    )
    customer = a_customer(org.rep_a1, phone="13812345678")

    # when the manager patches the phone
    status, body = send(
        api_client(org.east_a_manager),
        "patch",
        f"/api/v1/customers/{customer.pk}",
        {"version": 1, "phone": "13900001111"},
    )

    # then it is refused on the phone field
    assert status == 422
    assert [error["field"] for error in body["errors"]] == ["phone"]
    customer.refresh_from_db()
    assert customer.phone == "+8613812345678"


def test_contacts_crud(org: Org) -> None:
    # given a rep's customer
    customer = a_customer(org.rep_a1)
    client = api_client(org.rep_a1)

    # when a contact is created, read, listed, changed and deleted
    status, created = send(
        client,
        "post",
        "/api/v1/contacts",
        {"name": "欧阳澜清", "customer_id": customer.pk, "mobile": "13987658765", "deal_role": "decision_maker"},
    )
    assert status == 201
    contact_id = created["id"]
    status, read = send(client, "get", f"/api/v1/contacts/{contact_id}")
    assert (status, read["name"], read["mobile"], read["customer_id"]) == (200, "欧阳澜清", "13987658765", customer.pk)
    status, listed = send(client, "get", f"/api/v1/contacts?customer_id={customer.pk}")
    assert (status, [item["id"] for item in listed["items"]]) == (200, [contact_id])
    status, changed = send(client, "patch", f"/api/v1/contacts/{contact_id}", {"version": 1, "title": "总经理"})
    assert (status, changed["title"], changed["version"]) == (200, "总经理", 2)
    status, _body = send(client, "delete", f"/api/v1/contacts/{contact_id}")

    # then each step worked and the contact ends in the recycle bin
    assert status == 204
    assert Contact.objects.filter(pk=contact_id).exists() is False
    assert list(
        AuditEntry.objects.filter(target_type="customers.contact").order_by("id").values_list("verb", flat=True)
    ) == [Verb.CREATE, Verb.UPDATE, Verb.DELETE]


def test_create_contact_with_a_bad_mobile_is_422(org: Org) -> None:
    # given a rep
    # when a contact is sent with a bad mobile and a bad role
    status, body = send(
        api_client(org.rep_a1), "post", "/api/v1/contacts", {"name": "王磊", "mobile": "123", "deal_role": "boss"}
    )

    # then both fields are named
    assert status == 422
    assert [error["field"] for error in body["errors"]] == ["deal_role", "mobile"]
    assert Contact.all_objects.count() == 0


def test_a_contact_the_user_cannot_see_is_404(org: Org) -> None:
    # given a contact of another team
    contact = a_contact(org.rep_b1)

    # when rep_a1 reads it
    status, body = send(api_client(org.rep_a1), "get", f"/api/v1/contacts/{contact.pk}")

    # then it is not found
    assert (status, body["code"]) == (404, "not_found")
