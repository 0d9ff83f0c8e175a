import json
from typing import Any

import pytest
from django.test import Client

from conftest import Org
from crm.core.actors import api_actor
from crm.customers.models import Customer
from crm.customers.tests.factories import a_customer
from crm.identity.models import User
from crm.identity.services import token_create, token_revoke, user_set_active

ERROR_KEYS = {"detail", "code", "errors"}


def token_of(user: User) -> str:
    _token, secret = token_create(actor=api_actor(user), name="tests")
    return secret


def api_client(user: User) -> Client:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_of(user)}")
    client.cookies["crm_language"] = "en"
    return client


def assert_error_shape(body: Any) -> None:
    assert set(body) >= ERROR_KEYS
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["code"], str)
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert set(error) == {"field", "message"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer crm_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic cmVwX2ExOnNlY3JldA=="},
        {"X-API-Key": "crm_not-a-real-token"},
    ],
)
def test_requests_without_a_valid_token_are_401(org: Org, headers: dict[str, str]) -> None:
    # given a customer
    a_customer(org.rep_a1)

    # when the API is called without a token or with a wrong one
    response = Client().get("/api/v1/customers", headers=headers)

    # then the answer is 401 in the one error shape
    assert response.status_code == 401
    body = response.json()
    assert_error_shape(body)
    assert (body["code"], body["errors"]) == ("not_authenticated", [])


def test_a_token_in_the_x_api_key_header_works(org: Org) -> None:
    # given a token
    secret = token_of(org.rep_a1)

    # when it is sent as X-API-Key
    response = Client(HTTP_X_API_KEY=secret).get("/api/v1/me")

    # then the request is authenticated as its owner
    assert response.status_code == 200
    assert response.json()["username"] == "rep_a1"


def test_a_revoked_token_is_401(org: Org) -> None:
    # given a token that was revoked
    token, secret = token_create(actor=api_actor(org.rep_a1), name="tests")
    token_revoke(actor=api_actor(org.rep_a1), token_id=token.pk)

    # when it is used
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")

    # then it is refused
    assert response.status_code == 401


def test_a_deactivated_users_session_and_token_are_401(org: Org) -> None:
    # given a rep signed in with a session and a token, then deactivated
    secret = token_of(org.rep_a2)
    session = Client()
    session.force_login(org.rep_a2)
    user_set_active(actor=org.actor(org.admin), user_id=org.rep_a2.pk, is_active=False)

    # when either is used
    # then both are refused
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me").status_code == 401
    assert session.get("/api/v1/me").status_code == 401


def test_the_session_of_a_signed_in_user_authenticates_reads(org: Org) -> None:
    # given a signed-in rep
    client = Client()
    client.force_login(org.rep_a1)

    # when they read the API from the browser
    response = client.get("/api/v1/me")

    # then the session is enough
    assert response.status_code == 200
    assert response.json()["role"] == "sales_rep"


def test_session_writes_need_the_csrf_token(org: Org) -> None:
    # given a signed-in rep whose browser enforces CSRF
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rep_a1)

    # when they post without the CSRF token
    response = client.post("/api/v1/customers", data={"name": "客户"}, content_type="application/json")

    # then it is refused in the error shape and nothing is stored
    assert response.status_code == 403
    assert_error_shape(response.json())
    assert Customer.all_objects.count() == 0


def test_malformed_json_is_400(org: Org) -> None:
    # given a rep with a token
    client = api_client(org.rep_a1)

    # when the body is not JSON
    response = client.post("/api/v1/customers", data='{"name": "客户",', content_type="application/json")

    # then it is a 400 saying so
    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body)
    assert body["code"] == "invalid_json"
    assert Customer.all_objects.count() == 0


def test_an_unknown_record_is_404_in_the_error_shape(org: Org) -> None:
    # given a rep with a token
    # when they read a customer that does not exist
    response = api_client(org.rep_a1).get("/api/v1/customers/999999")

    # then it is a 404 in the error shape
    assert response.status_code == 404
    assert_error_shape(response.json())
    assert response.json()["code"] == "not_found"


GARBAGE_BODIES: list[Any] = [
    None,
    [],
    "a string",
    42,
    {"name": None},
    {"name": 123},
    {"name": ["list"]},
    {"name": {"nested": True}},
    {"name": "客户", "tags": [1, {"a": 1}]},
    {"name": "客户", "tags": ["x" * 500]},
    {"name": "客户", "annual_revenue": "NaN"},
    {"name": "客户", "annual_revenue": "Infinity"},
    {"name": "客户", "annual_revenue": "1e400"},
    {"name": "客户", "annual_revenue": 1e308},
    {"name": "客户", "owner_id": 2**70},
    {"name": "客户", "owner_id": -1},
    {"name": "客户", "external_id": "x" * 1000},
    {"name": "客户", "website": "javascript:alert(1)"},
    {"name": "客户", "phone": "+" + "9" * 200},
    {"name": "客户", "email": "a@" + "b" * 300 + ".cn"},
    {"name": "客户", "grade": "AA"},
    {"name": "客户", "lifecycle_stage": None},
    {"name": "客户", "revenue_currency": None},
    {"name": "\u0000客户\u0000"},
    {"name": "客" * 100_000},
    {"name": "客户", "unknown_field": "ignored?"},
]


@pytest.mark.parametrize("payload", GARBAGE_BODIES)
def test_garbage_customer_bodies_never_cause_a_server_error(org: Org, payload: Any) -> None:
    # given a rep with a token and a customer to patch
    client = api_client(org.rep_a1)
    customer = a_customer(org.rep_a1)
    body = json.dumps(payload)

    # when garbage is posted and patched
    created = client.post("/api/v1/customers", data=body, content_type="application/json")
    patch_body = json.dumps({**payload, "version": 1}) if isinstance(payload, dict) else body
    patched = client.patch(f"/api/v1/customers/{customer.pk}", data=patch_body, content_type="application/json")

    # then each answer is a success or a client error in the one error shape
    for response in (created, patched):
        assert response.status_code < 500
        if response.status_code >= 400:
            assert_error_shape(response.json())


GARBAGE_PATHS = [
    "/api/v1/customers/abc",
    "/api/v1/customers/-1",
    f"/api/v1/customers/{2**70}",
    "/api/v1/customers?cursor=%00%01",
    "/api/v1/customers?limit=-5",
    "/api/v1/customers?limit=abc",
    "/api/v1/customers?created_from=2025-02-30",
    "/api/v1/customers?team_id=99999999999999999999999",
    "/api/v1/customers?q=" + "字" * 5000,
    "/api/v1/customers?q=%22%22%22",
    "/api/v1/contacts?customer_id=x",
    "/api/v1/contacts?cursor=WzEsMl0",
    "/api/v1/activities?occurred_from=tomorrow",
    "/api/v1/activities?cursor=eyJ4IjoxfQ",
    "/api/v1/activities?cursor=WyJub3QgYSB0aW1lIiw1XQ",
    "/api/v1/activities/abc",
    "/api/v1/nothing-here",
]


@pytest.mark.parametrize("path", GARBAGE_PATHS)
def test_garbage_paths_and_queries_never_cause_a_server_error(org: Org, path: str) -> None:
    # given a rep with a token and some data
    client = api_client(org.rep_a1)
    a_customer(org.rep_a1)

    # when a malformed path or query is read
    response = client.get(path)

    # then it is answered without a server error
    assert response.status_code < 500
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
        assert_error_shape(response.json())


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"customer_id": "abc", "content": "电话"},
        {"customer_id": 2**70, "content": "电话"},
        {"customer_id": None, "content": "电话"},
        {"content": "电话", "customer_id": 1, "occurred_at": "yesterday"},
        {"content": "电话", "customer_id": 1, "occurred_at": "2999-01-01T00:00:00Z"},
        {"content": "电话", "customer_id": 1, "next_contact_on": "2025-02-30"},
        {"content": "电话", "customer_id": 1, "contact_id": "x"},
        {"content": "电话", "customer_id": 1, "contact_id": 2**70},
        {"content": ["电话"], "customer_id": 1},
        {"content": "电" * 20_000, "customer_id": 1},
    ],
)
def test_garbage_activity_bodies_never_cause_a_server_error(org: Org, payload: dict[str, Any]) -> None:
    # given a rep with a token and a customer
    client = api_client(org.rep_a1)
    customer = a_customer(org.rep_a1)
    if payload.get("customer_id") == 1:
        payload = {**payload, "customer_id": customer.pk}

    # when garbage is posted as a follow-up
    response = client.post("/api/v1/activities", data=json.dumps(payload), content_type="application/json")

    # then it is a client error in the one error shape
    assert 400 <= response.status_code < 500
    assert_error_shape(response.json())


def test_openapi_lists_the_stable_operation_ids(org: Org) -> None:
    # given the published schema
    response = Client().get("/api/v1/openapi.json")

    # when its operations are collected
    schema = response.json()
    operation_ids = {
        operation["operationId"]
        for path in schema["paths"].values()
        for operation in path.values()
        if "operationId" in operation
    }

    # then the documented operations are there under their stable names
    assert response.status_code == 200
    assert {
        "list_customers",
        "create_customer",
        "get_customer",
        "update_customer",
        "delete_customer",
        "list_contacts",
        "list_activities",
        "create_activity",
    } <= operation_ids


def test_openapi_documents_the_error_shape_and_bearer_auth(org: Org) -> None:
    # given the published schema
    schema = Client().get("/api/v1/openapi.json").json()

    # when the customer update operation is read
    update = schema["paths"]["/api/v1/customers/{customer_id}"]["patch"]

    # then its error answers and the bearer scheme are described
    assert {"200", "401", "404", "409", "422"} <= set(update["responses"])
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
