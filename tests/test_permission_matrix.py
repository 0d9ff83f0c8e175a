"""Who sees, changes and exports one customer (and one lead), across every web and API surface.

One customer owned by rep_a1 (team east_a), with a contact and a follow-up, is looked at by
every kind of viewer. `EXPECTED` is the rule written down; each test checks one family of
surfaces against it. A hidden record answers exactly like a missing one: absent from lists,
404 on detail and on writes (never 403), so nobody learns that it exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client, override_settings
from django.utils import timezone

from conftest import Org
from crm.access.visibility import can_change, can_see, masks_contact_info
from crm.activities.models import Activity
from crm.activities.services import activity_create
from crm.core.actors import web_actor
from crm.customers.models import Contact, Customer
from crm.customers.services import customer_update
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.models import Role, User, Visibility
from crm.identity.rights import can_export
from crm.identity.services import preference_set, role_update, token_create
from crm.leads.models import Lead
from crm.leads.tests.factories import a_lead

CUSTOMER_NAME = "上海澜沧矩阵科技有限公司"
CUSTOMER_QUERY = "澜沧矩阵"
CUSTOMER_PHONE = "13812345678"
CUSTOMER_PHONE_MASKED = "138****5678"
CUSTOMER_EMAIL = "lancang.sales@matrix-test.cn"
CUSTOMER_EMAIL_MASKED = "l***@matrix-test.cn"
CONTACT_NAME = "欧阳澜清"
CONTACT_QUERY = "欧阳澜"
CONTACT_MOBILE = "13987658765"
CONTACT_MOBILE_MASKED = "139****8765"
CONTACT_EMAIL = "ouyang.lanqing@matrix-test.cn"
ACTIVITY_CONTENT = "电话沟通了二期扩容的预算"

# Every way the full numbers and addresses could be written out.
FULL_VALUES = (
    CUSTOMER_PHONE,
    "138 1234 5678",
    "138-1234-5678",
    CUSTOMER_EMAIL,
    CONTACT_MOBILE,
    "139 8765 8765",
    "139-8765-8765",
    CONTACT_EMAIL,
)


@dataclass(frozen=True)
class Sees:
    """What one viewer may do with rep_a1's customer, its contact and its follow-up."""

    visible: bool  # listed, searchable, exportable and openable; otherwise absent and 404
    masked: bool  # phone and email shown as 138****5678 / l***@… (matters only when visible)
    may_change: bool  # may edit and delete; a visible record they may not change answers 403
    may_export: bool  # the role's export right: 200 on export.csv, otherwise 403


EXPECTED: dict[str, Sees] = {
    # the owner: sees and changes their own record in full; sales reps may not export
    "rep_a1": Sees(visible=True, masked=False, may_change=True, may_export=False),
    # same team, but the sales_rep role sees only its own records
    "rep_a2": Sees(visible=False, masked=True, may_change=False, may_export=False),
    # sales_manager of east_a: sees east_a and below, and manages the owner's team
    "east_a_manager": Sees(visible=True, masked=False, may_change=True, may_export=True),
    # sales_manager of east: sees east, east_a and east_b, and manages them
    "east_manager": Sees(visible=True, masked=False, may_change=True, may_export=True),
    # sales reps in another team of the same department and in another department
    "rep_b1": Sees(visible=False, masked=True, may_change=False, may_export=False),
    "rep_n1": Sees(visible=False, masked=True, may_change=False, may_export=False),
    # sales_director: sees everything and may edit whatever they see
    "director": Sees(visible=True, masked=False, may_change=True, may_export=True),
    # finance: sees everything, masked, read-only (not owner, not manager, no edit-visible right)
    "finance": Sees(visible=True, masked=True, may_change=False, may_export=True),
    # administrator: sees and changes everything
    "admin": Sees(visible=True, masked=False, may_change=True, may_export=True),
}
# Anonymous visitors see nothing: web pages redirect to /login/, the API answers 401.

VIEWERS = list(EXPECTED)
VISIBLE_VIEWERS = [name for name, sees in EXPECTED.items() if sees.visible]
HIDDEN_VIEWERS = [name for name, sees in EXPECTED.items() if not sees.visible]


@pytest.fixture(autouse=True)
def _fast_passwords() -> Iterator[None]:
    # The org fixture sets nine passwords; Argon2 would spend seconds on each test's setup.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@dataclass(frozen=True)
class Record:
    customer: Customer
    contact: Contact
    activity: Activity


@pytest.fixture
def record(org: Org) -> Record:
    customer = a_customer(org.rep_a1, name=CUSTOMER_NAME, phone=CUSTOMER_PHONE, email=CUSTOMER_EMAIL, tags=["重点客户"])
    contact = a_contact(org.rep_a1, customer, name=CONTACT_NAME, mobile=CONTACT_MOBILE, email=CONTACT_EMAIL)
    activity = activity_create(
        actor=web_actor(org.rep_a1),
        values={"customer_id": customer.pk, "contact_id": contact.pk, "content": ACTIVITY_CONTENT, "kind": "call"},
    )
    return Record(customer=customer, contact=contact, activity=activity)


def _user(org: Org, viewer: str) -> User:
    user: User = getattr(org, viewer)
    return user


def _web(org: Org, viewer: str) -> Client:
    client = Client()
    client.force_login(_user(org, viewer))
    return client


def _api(org: Org, viewer: str) -> Client:
    _token, secret = token_create(actor=web_actor(_user(org, viewer)), name="matrix")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _body(response: Any) -> str:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]
    return str(response.content.decode())


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def _row(model: type[Customer] | type[Contact] | type[Activity], pk: int) -> dict[str, Any]:
    """Everything about one row, read past the soft-delete filter, to prove nothing changed."""
    return dict(model.all_objects.filter(pk=pk).values().get())


# The table agrees with the access rules themselves -----------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_expectation_table_matches_the_access_rules(org: Org, record: Record, viewer: str) -> None:
    # given the viewer's actor
    actor = web_actor(_user(org, viewer))
    customer = record.customer
    expected = EXPECTED[viewer]
    # then the per-record answers of crm.access are the table's
    assert can_see(actor, owner_id=customer.owner_id, team_id=customer.team_id) is expected.visible
    assert can_change(actor, customer) is expected.may_change
    assert can_export(actor) is expected.may_export
    if expected.visible:
        assert masks_contact_info(actor, owner_id=customer.owner_id) is expected.masked


# Web ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_web_lists_and_searches_show_the_record_exactly_when_visible(org: Org, record: Record, viewer: str) -> None:
    # given
    client = _web(org, viewer)
    visible = EXPECTED[viewer].visible
    customer_link = f'href="/customers/{record.customer.pk}/"'
    contact_link = f'href="/contacts/{record.contact.pk}/"'
    pages = {
        "/customers/": (customer_link, CUSTOMER_NAME),
        f"/customers/?q={CUSTOMER_QUERY}": (customer_link, CUSTOMER_NAME),
        "/customers/?q=lancang": (customer_link, CUSTOMER_NAME),
        "/contacts/": (contact_link, CONTACT_NAME),
        f"/contacts/?q={CONTACT_QUERY}": (contact_link, CONTACT_NAME),
        f"/customers/choices/?customer_search={CUSTOMER_QUERY}": (f'value="{record.customer.pk}"', CUSTOMER_NAME),
        # the new-contact form preselects the customer only when the viewer may see it
        f"/contacts/new/?customer={record.customer.pk}": (CUSTOMER_NAME, CUSTOMER_NAME),
    }
    for path, (link, name) in pages.items():
        # when
        response = client.get(path)
        # then
        body = _body(response)
        assert response.status_code == 200, path
        assert (link in body) is visible, path
        assert (name in body) is visible, path


@pytest.mark.parametrize("viewer", VIEWERS)
def test_web_detail_pages_answer_200_when_visible_and_404_otherwise(org: Org, record: Record, viewer: str) -> None:
    # given
    client = _web(org, viewer)
    visible = EXPECTED[viewer].visible
    pages = {
        f"/customers/{record.customer.pk}/": CUSTOMER_NAME,
        f"/contacts/{record.contact.pk}/": CONTACT_NAME,
        f"/activities/customer/{record.customer.pk}/": ACTIVITY_CONTENT,
    }
    for path, shown in pages.items():
        # when
        response = client.get(path)
        # then: the record, or the same page a missing id gets
        body = _body(response)
        assert response.status_code == (200 if visible else 404), path
        assert (shown in body) is visible, path
        if not visible:
            missing = client.get(
                path.replace(str(record.customer.pk), "999999").replace(str(record.contact.pk), "999999")
            )
            assert missing.status_code == 404
            assert CUSTOMER_NAME not in body
            assert CONTACT_NAME not in body


@pytest.mark.parametrize("viewer", VIEWERS)
def test_web_exports_need_the_export_right_and_hold_the_record_exactly_when_visible(
    org: Org, record: Record, viewer: str
) -> None:
    # given
    client = _web(org, viewer)
    expected = EXPECTED[viewer]
    for path, name in {"/customers/export.csv": CUSTOMER_NAME, "/contacts/export.csv": CONTACT_NAME}.items():
        # when
        response = client.get(path)
        # then
        body = _body(response)
        if expected.may_export:
            assert response.status_code == 200, path
            assert response["Content-Type"].startswith("text/csv")
            assert (name in body) is expected.visible, path
        else:
            assert response.status_code == 403, path
            assert name not in body, path


@pytest.mark.parametrize("viewer", VIEWERS)
def test_web_edit_forms_and_delete_follow_the_change_rule(org: Org, record: Record, viewer: str) -> None:
    # given
    client = _web(org, viewer)
    expected = EXPECTED[viewer]
    edit_status = 200 if expected.may_change else 403 if expected.visible else 404
    before_customer = _row(Customer, record.customer.pk)
    before_contact = _row(Contact, record.contact.pk)
    # when / then: the edit forms
    assert client.get(f"/customers/{record.customer.pk}/edit/").status_code == edit_status
    assert client.get(f"/contacts/{record.contact.pk}/edit/").status_code == edit_status
    # when: deleting both
    contact_deleted = client.post(f"/contacts/{record.contact.pk}/delete/")
    customer_deleted = client.post(f"/customers/{record.customer.pk}/delete/")
    # then
    if expected.may_change:
        assert contact_deleted.status_code == 302
        assert customer_deleted.status_code == 302
        assert _row(Customer, record.customer.pk)["deleted_at"] is not None
        assert _row(Contact, record.contact.pk)["deleted_at"] is not None
        return
    if expected.visible:  # refused with a message, back to the record
        assert contact_deleted["Location"] == f"/contacts/{record.contact.pk}/"
        assert customer_deleted["Location"] == f"/customers/{record.customer.pk}/"
    else:
        assert contact_deleted.status_code == 404
        assert customer_deleted.status_code == 404
    # and posting the edit form is refused the same way
    posted = client.post(f"/customers/{record.customer.pk}/edit/", {"name": "改过的名字", "owner_id": org.rep_a1.pk})
    assert posted.status_code == edit_status
    assert _row(Customer, record.customer.pk) == before_customer
    assert _row(Contact, record.contact.pk) == before_contact


@pytest.mark.parametrize("viewer", HIDDEN_VIEWERS)
def test_web_follow_up_actions_on_a_hidden_customer_are_404_and_change_nothing(
    org: Org, record: Record, viewer: str
) -> None:
    # given
    client = _web(org, viewer)
    before = _row(Activity, record.activity.pk)
    # when
    logged = client.post(f"/activities/customer/{record.customer.pk}/", {"kind": "call", "content": "偷偷记一笔"})
    done = client.post(f"/activities/{record.activity.pk}/done/")
    # then
    assert logged.status_code == 404
    assert done.status_code == 404
    assert Activity.all_objects.filter(customer=record.customer).count() == 1
    assert _row(Activity, record.activity.pk) == before


# API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_api_lists_and_searches_hold_the_record_exactly_when_visible(org: Org, record: Record, viewer: str) -> None:
    # given
    client = _api(org, viewer)
    visible = EXPECTED[viewer].visible
    lists = {
        "/api/v1/customers": record.customer.pk,
        f"/api/v1/customers?q={CUSTOMER_QUERY}": record.customer.pk,
        "/api/v1/customers?q=lancang": record.customer.pk,
        f"/api/v1/customers?owner_id={org.rep_a1.pk}": record.customer.pk,
        "/api/v1/contacts": record.contact.pk,
        f"/api/v1/contacts?q={CONTACT_QUERY}": record.contact.pk,
        f"/api/v1/contacts?customer_id={record.customer.pk}": record.contact.pk,
        "/api/v1/activities": record.activity.pk,
        f"/api/v1/activities?customer_id={record.customer.pk}": record.activity.pk,
    }
    for path, pk in lists.items():
        # when
        ids = _ids(client.get(path))
        # then
        assert ids == ([pk] if visible else []), path


@pytest.mark.parametrize("viewer", VIEWERS)
def test_api_details_answer_200_when_visible_and_the_missing_record_404_otherwise(
    org: Org, record: Record, viewer: str
) -> None:
    # given
    client = _api(org, viewer)
    visible = EXPECTED[viewer].visible
    details = {
        "/api/v1/customers/{}": record.customer.pk,
        "/api/v1/contacts/{}": record.contact.pk,
        "/api/v1/activities/{}": record.activity.pk,
    }
    for template, pk in details.items():
        # when
        response = client.get(template.format(pk))
        # then
        if visible:
            assert response.status_code == 200, template
            assert response.json()["id"] == pk
        else:
            missing = client.get(template.format(999999))
            assert response.status_code == 404, template
            assert response.json() == missing.json()


WRITES: dict[str, tuple[str, type[Customer] | type[Contact] | type[Activity], dict[str, Any]]] = {
    "customer": ("/api/v1/customers/{}", Customer, {"name": "改过的名字"}),
    "contact": ("/api/v1/contacts/{}", Contact, {"title": "采购总监"}),
    "activity": ("/api/v1/activities/{}", Activity, {"content": "改过的内容"}),
}


@pytest.mark.parametrize("kind", list(WRITES))
@pytest.mark.parametrize("viewer", VIEWERS)
def test_api_patch_and_delete_follow_the_change_rule(org: Org, record: Record, viewer: str, kind: str) -> None:
    # given
    client = _api(org, viewer)
    expected = EXPECTED[viewer]
    template, model, change = WRITES[kind]
    target = {"customer": record.customer, "contact": record.contact, "activity": record.activity}[kind]
    path = template.format(target.pk)
    before = _row(model, target.pk)
    # when
    patched = client.patch(path, json.dumps({"version": before["version"], **change}), content_type="application/json")
    # then
    if expected.may_change:
        assert patched.status_code == 200, patched.content
        field, value = next(iter(change.items()))
        assert _row(model, target.pk)[field] == value
        assert client.delete(path).status_code == 204
        assert _row(model, target.pk)["deleted_at"] is not None
    else:
        assert patched.status_code == (403 if expected.visible else 404), patched.content
        assert client.delete(path).status_code == (403 if expected.visible else 404)
        assert _row(model, target.pk) == before


@pytest.mark.parametrize("viewer", HIDDEN_VIEWERS)
def test_api_creating_under_a_hidden_customer_is_refused_like_a_missing_one(
    org: Org, record: Record, viewer: str
) -> None:
    # given
    client = _api(org, viewer)
    attempts = {
        "/api/v1/activities": {"customer_id": "{}", "kind": "call", "content": "偷偷记一笔"},
        "/api/v1/contacts": {"customer_id": "{}", "name": "冒名联系人"},
    }
    for path, payload in attempts.items():
        # when
        hidden = client.post(
            path, json.dumps({**payload, "customer_id": record.customer.pk}), content_type="application/json"
        )
        missing = client.post(path, json.dumps({**payload, "customer_id": 999999}), content_type="application/json")
        # then
        assert hidden.status_code == missing.status_code != 201, path
        assert hidden.json() == missing.json()
    assert Activity.all_objects.filter(customer=record.customer).count() == 1
    assert Contact.all_objects.filter(customer=record.customer).count() == 1


# Masking ---------------------------------------------------------------------------------------


def _bodies(org: Org, record: Record, viewer: str) -> dict[str, str]:
    """Every response that could carry the customer's or contact's phone or email."""
    user = _user(org, viewer)
    preference_set(actor=web_actor(user), key="customer_columns", value=["name", "phone", "email"])
    preference_set(actor=web_actor(user), key="contact_columns", value=["name", "mobile", "email"])
    web, api = _web(org, viewer), _api(org, viewer)
    customer, contact = record.customer.pk, record.contact.pk
    paths = [
        f"/customers/{customer}/",
        f"/contacts/{contact}/",
        f"/activities/customer/{customer}/",
        "/customers/",
        f"/customers/?q={CUSTOMER_QUERY}",
        "/contacts/",
        f"/contacts/?q={CONTACT_QUERY}",
        "/customers/export.csv",
        "/contacts/export.csv",
    ]
    bodies = {path: _body(web.get(path)) for path in paths}
    api_paths = [
        f"/api/v1/customers/{customer}",
        "/api/v1/customers",
        f"/api/v1/customers?q={CUSTOMER_QUERY}",
        f"/api/v1/contacts/{contact}",
        "/api/v1/contacts",
        f"/api/v1/activities?customer_id={customer}",
        f"/api/v1/activities/{record.activity.pk}",
    ]
    bodies.update({path: _body(api.get(path)) for path in api_paths})
    return bodies


@pytest.mark.parametrize("viewer", VIEWERS)
def test_full_phone_and_email_never_leave_the_server_for_viewers_who_see_them_masked(
    org: Org, record: Record, viewer: str
) -> None:
    # given
    expected = EXPECTED[viewer]
    full = expected.visible and not expected.masked
    # when
    bodies = _bodies(org, record, viewer)
    # then: no response carries the full values unless the viewer may see them in full
    for path, body in bodies.items():
        for value in FULL_VALUES:
            if not full:
                assert value not in body, (path, value)
    if not expected.visible:
        return
    customer_phone = CUSTOMER_PHONE_MASKED if expected.masked else CUSTOMER_PHONE
    customer_email = CUSTOMER_EMAIL_MASKED if expected.masked else CUSTOMER_EMAIL
    contact_mobile = CONTACT_MOBILE_MASKED if expected.masked else CONTACT_MOBILE
    # and the value shown is the masked or full one, on every surface that shows it
    showing_customer_phone = [
        f"/customers/{record.customer.pk}/",
        "/customers/",
        f"/customers/?q={CUSTOMER_QUERY}",
        f"/api/v1/customers/{record.customer.pk}",
        "/api/v1/customers",
        f"/api/v1/customers?q={CUSTOMER_QUERY}",
    ]
    showing_contact_mobile = [
        f"/customers/{record.customer.pk}/",
        f"/contacts/{record.contact.pk}/",
        "/contacts/",
        f"/contacts/?q={CONTACT_QUERY}",
        f"/api/v1/contacts/{record.contact.pk}",
        "/api/v1/contacts",
    ]
    if expected.may_export:
        showing_customer_phone.append("/customers/export.csv")
        showing_contact_mobile.append("/contacts/export.csv")
    for path in showing_customer_phone:
        assert customer_phone in bodies[path], path
        assert customer_email in bodies[path], path
    for path in showing_contact_mobile:
        assert contact_mobile in bodies[path], path
    api_customer = json.loads(bodies[f"/api/v1/customers/{record.customer.pk}"])
    assert (api_customer["phone"], api_customer["email"]) == (customer_phone, customer_email)
    api_contact = json.loads(bodies[f"/api/v1/contacts/{record.contact.pk}"])
    assert api_contact["mobile"] == contact_mobile


# Anonymous ---------------------------------------------------------------------------------------

ANONYMOUS_WEB = [
    "/customers/",
    "/customers/?q=澜沧矩阵",
    "/customers/export.csv",
    "/customers/{customer}/",
    "/customers/{customer}/edit/",
    "/customers/choices/?customer_search=澜沧矩阵",
    "/contacts/",
    "/contacts/export.csv",
    "/contacts/{contact}/",
    "/activities/customer/{customer}/",
]
ANONYMOUS_API = [
    "/api/v1/customers",
    "/api/v1/customers?q=澜沧矩阵",
    "/api/v1/customers/{customer}",
    "/api/v1/contacts",
    "/api/v1/contacts/{contact}",
    "/api/v1/activities?customer_id={customer}",
    "/api/v1/activities/{activity}",
]


def _fill(path: str, record: Record) -> str:
    return path.format(customer=record.customer.pk, contact=record.contact.pk, activity=record.activity.pk)


@pytest.mark.parametrize("path", ANONYMOUS_WEB)
def test_anonymous_web_requests_are_sent_to_sign_in(client: Client, record: Record, path: str) -> None:
    # when
    response = client.get(_fill(path, record))
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert CUSTOMER_NAME not in _body(response)


@pytest.mark.parametrize("path", ANONYMOUS_API)
def test_anonymous_api_requests_answer_401(client: Client, record: Record, path: str) -> None:
    # when
    response = client.get(_fill(path, record))
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_anonymous_writes_answer_401_or_sign_in_and_change_nothing(client: Client, record: Record) -> None:
    # given
    before = (_row(Customer, record.customer.pk), _row(Contact, record.contact.pk), _row(Activity, record.activity.pk))
    body = json.dumps({"version": 1, "name": "改过的名字", "content": "改过的内容"})
    # when / then
    for path in ("/api/v1/customers/{customer}", "/api/v1/contacts/{contact}", "/api/v1/activities/{activity}"):
        assert client.patch(_fill(path, record), body, content_type="application/json").status_code == 401
        assert client.delete(_fill(path, record)).status_code == 401
    for path in ("/customers/{customer}/delete/", "/contacts/{contact}/delete/", "/customers/{customer}/edit/"):
        response = client.post(_fill(path, record), {"name": "改过的名字"})
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    assert (
        _row(Customer, record.customer.pk),
        _row(Contact, record.contact.pk),
        _row(Activity, record.activity.pk),
    ) == before


# Role changes take effect on the next request ------------------------------------------------------


def test_widening_a_roles_visibility_shows_the_record_on_the_next_request(org: Org, record: Record) -> None:
    # given rep_a2 (same team, sales_rep role) who cannot see rep_a1's customer
    web, api = _web(org, "rep_a2"), _api(org, "rep_a2")
    customer_path, api_path = f"/customers/{record.customer.pk}/", f"/api/v1/customers/{record.customer.pk}"
    assert web.get(customer_path).status_code == 404
    assert _ids(api.get("/api/v1/customers")) == []
    # when the administrator lets sales reps see their team's records
    role = Role.objects.get(code="sales_rep")
    role_update(actor=web_actor(org.admin), role_id=role.pk, visibility=Visibility.TEAM)
    # then the same sessions see it at once, still masked
    assert web.get(customer_path).status_code == 200
    assert CUSTOMER_NAME in _body(web.get("/customers/"))
    assert _ids(api.get("/api/v1/customers")) == [record.customer.pk]
    assert api.get(api_path).json()["phone"] == CUSTOMER_PHONE_MASKED
    # and reps in other teams still do not
    assert _web(org, "rep_b1").get(customer_path).status_code == 404


def test_narrowing_a_roles_visibility_hides_the_record_on_the_next_request(org: Org, record: Record) -> None:
    # given the manager of east, who sees east_a's customer
    web, api = _web(org, "east_manager"), _api(org, "east_manager")
    customer_path, api_path = f"/customers/{record.customer.pk}/", f"/api/v1/customers/{record.customer.pk}"
    assert web.get(customer_path).status_code == 200
    assert api.get(api_path).status_code == 200
    # when the administrator limits sales managers to their own records
    role = Role.objects.get(code="sales_manager")
    role_update(actor=web_actor(org.admin), role_id=role.pk, visibility=Visibility.OWN)
    # then it is gone from lists and detail, and cannot be changed
    assert web.get(customer_path).status_code == 404
    assert CUSTOMER_NAME not in _body(web.get("/customers/"))
    assert api.get(api_path).status_code == 404
    assert _ids(api.get("/api/v1/customers")) == []
    patched = api.patch(api_path, json.dumps({"version": 1, "name": "改过的名字"}), content_type="application/json")
    assert patched.status_code == 404
    assert Customer.objects.get(pk=record.customer.pk).name == CUSTOMER_NAME


def test_turning_masking_off_shows_full_numbers_on_the_next_request(org: Org, record: Record) -> None:
    # given finance, who sees numbers masked
    web, api = _web(org, "finance"), _api(org, "finance")
    api_path = f"/api/v1/customers/{record.customer.pk}"
    assert api.get(api_path).json()["phone"] == CUSTOMER_PHONE_MASKED
    # when the administrator stops masking for finance
    role = Role.objects.get(code="finance")
    role_update(actor=web_actor(org.admin), role_id=role.pk, masks_contact_info=False)
    # then
    assert api.get(api_path).json()["phone"] == CUSTOMER_PHONE
    assert CUSTOMER_PHONE in _body(web.get(f"/customers/{record.customer.pk}/"))


# After a handover: the old owner's leftovers follow the rule too -----------------------------------


def _hand_over(org: Org, record: Record, to: User) -> None:
    """The administrator gives the customer to another rep; its contact stays with rep_a1."""
    customer_update(
        actor=web_actor(org.admin),
        customer_id=record.customer.pk,
        version=Customer.objects.get(pk=record.customer.pk).version,
        values={"owner_id": to.pk},
    )


def test_a_follow_up_due_on_a_customer_handed_away_leaves_the_old_owners_home_page(org: Org, record: Record) -> None:
    # given rep_a1 planned to call the customer back today
    activity_create(
        actor=web_actor(org.rep_a1),
        values={"customer_id": record.customer.pk, "content": "约好今天回电", "next_contact_on": timezone.localdate()},
    )
    web = _web(org, "rep_a1")
    assert CUSTOMER_NAME in _body(web.get("/"))
    # when the customer is handed to a rep in another region
    _hand_over(org, record, org.rep_n1)
    # then rep_a1 no longer sees it anywhere, the home page included
    assert web.get(f"/customers/{record.customer.pk}/").status_code == 404
    assert CUSTOMER_NAME not in _body(web.get("/"))
    assert CUSTOMER_NAME in _body(_web(org, "rep_n1").get(f"/customers/{record.customer.pk}/"))


def test_the_timeline_shows_no_history_of_contacts_the_viewer_cannot_see(org: Org, record: Record) -> None:
    # given the customer was handed to rep_n1 while its contact stayed with rep_a1
    _hand_over(org, record, org.rep_n1)
    web = _web(org, "rep_n1")
    # when rep_n1 opens the customer and its follow-up panel
    detail = _body(web.get(f"/customers/{record.customer.pk}/"))
    panel = _body(web.get(f"/activities/customer/{record.customer.pk}/"))
    # then the hidden contact is in neither, not even its recorded changes
    assert CUSTOMER_NAME in detail
    assert ACTIVITY_CONTENT in panel
    for body in (detail, panel):
        assert CONTACT_NAME not in body
        assert CONTACT_MOBILE not in body
        assert CONTACT_EMAIL not in body


# Leads: the same rule for rep_a1's lead ----------------------------------------------------

LEAD_NAME = "司马澜舟"
LEAD_MOBILE = "13755667788"
LEAD_EMAIL = "sima.lanzhou@matrix-test.cn"


@pytest.fixture
def lead(org: Org) -> Lead:
    return a_lead(org.rep_a1, name=LEAD_NAME, mobile=LEAD_MOBILE, email=LEAD_EMAIL)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_lead_surfaces_follow_the_rule(org: Org, lead: Lead, viewer: str) -> None:
    # given the viewer's web and API clients
    expected = EXPECTED[viewer]
    web, api = _web(org, viewer), _api(org, viewer)
    link = f'href="/leads/{lead.pk}/"'

    # then lists and search hold the lead exactly when visible, and details answer 200 or 404
    assert (link in _body(web.get("/leads/"))) is expected.visible
    assert (link in _body(web.get("/leads/?q=smlz"))) is expected.visible
    assert (lead.pk in _ids(api.get("/api/v1/leads"))) is expected.visible
    detail, api_detail = web.get(f"/leads/{lead.pk}/"), api.get(f"/api/v1/leads/{lead.pk}")
    assert detail.status_code == api_detail.status_code == (200 if expected.visible else 404)
    # and the export needs the export right and holds the lead exactly when visible
    export = web.get("/leads/export.csv")
    assert export.status_code == (200 if expected.may_export else 403)
    if expected.may_export:
        assert (LEAD_NAME in _body(export)) is expected.visible
    # and the full mobile and email never leave the server for a masking viewer
    if expected.visible:
        bodies = [_body(detail), _body(api_detail), _body(web.get("/leads/")), _body(api.get("/api/v1/leads"))]
        if expected.may_export:
            bodies.append(_body(web.get("/leads/export.csv")))
        shown = any(value in body for body in bodies for value in (LEAD_MOBILE, "137 5566 7788", LEAD_EMAIL))
        assert shown is not expected.masked


@pytest.mark.parametrize("viewer", VIEWERS)
def test_lead_writes_follow_the_change_rule(org: Org, lead: Lead, viewer: str) -> None:
    # given the viewer's web and API clients
    expected = EXPECTED[viewer]
    web, api = _web(org, viewer), _api(org, viewer)
    refused = 404 if not expected.visible else 403

    # when they open the edit form, patch, change the status and convert
    edit = web.get(f"/leads/{lead.pk}/edit/")
    patch = api.patch(f"/api/v1/leads/{lead.pk}", data={"version": 1, "title": "总监"}, content_type="application/json")
    status = api.post(f"/api/v1/leads/{lead.pk}/status", data={"status": "contacted"}, content_type="application/json")
    convert = api.post(f"/api/v1/leads/{lead.pk}/convert", data={}, content_type="application/json")

    # then each is allowed exactly when the viewer may change the lead, and refused otherwise
    if expected.may_change:
        assert (edit.status_code, patch.status_code, status.status_code, convert.status_code) == (200, 200, 200, 200)
        assert Customer.objects.filter(name=lead.company_name).count() == 1
    else:
        assert (edit.status_code, patch.status_code, status.status_code, convert.status_code) == (refused,) * 4
        assert Customer.objects.count() == 0
