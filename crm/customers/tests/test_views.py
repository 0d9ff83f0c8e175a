import io
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from openpyxl import load_workbook

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.customers.models import Customer
from crm.customers.services import customer_update
from crm.customers.tests.factories import a_customer
from crm.identity.models import BuiltinRole, Role, User
from crm.identity.services import preference_set, role_update


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def customer_form(**values: Any) -> dict[str, Any]:
    data = {"name": "深圳前海微众科技有限公司", "lifecycle_stage": "prospect", "revenue_currency": "CNY"}
    data.update(values)
    return data


def test_customer_create_form_saves_and_redirects_to_the_new_customer(org: Org) -> None:
    # given a signed-in rep
    client = signed_in(org.rep_a1)

    # when they post the new-customer form
    response = client.post(
        "/customers/new/",
        customer_form(grade="A", phone="138 1234 5678", tags="重点，华南", owner_id=str(org.rep_a1.pk)),
    )

    # then the customer is stored and they land on its page
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.name, customer.grade, customer.phone) == ("深圳前海微众科技有限公司", "A", "+8613812345678")
    assert sorted(customer.tags.values_list("name", flat=True)) == ["华南", "重点"]
    assert customer.owner_id == org.rep_a1.pk


def test_customer_create_form_shows_a_bad_phone_beside_the_field(org: Org) -> None:
    # given a signed-in rep
    client = signed_in(org.rep_a1)

    # when they post a phone number that cannot exist
    response = client.post("/customers/new/", customer_form(phone="12345"))

    # then the form comes back with the error on the phone field and nothing is stored
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["phone"]
    assert "12345" in form.errors["phone"][0]
    assert form.errors["phone"][0] in response.content.decode()
    assert Customer.all_objects.count() == 0


def test_customer_detail_of_a_hidden_customer_is_404(org: Org) -> None:
    # given a customer of another team
    customer = a_customer(org.rep_b1)

    # when rep_a1 opens its page
    response = signed_in(org.rep_a1).get(f"/customers/{customer.pk}/")

    # then it is not found
    assert response.status_code == 404


def test_customer_detail_masks_contact_details_for_a_masking_viewer(org: Org) -> None:
    # given a customer finance may see, masked
    customer = a_customer(org.rep_a1, phone="13812345678", email="zhang.wei@huaxin.cn")

    # when finance opens its page
    response = signed_in(org.finance).get(f"/customers/{customer.pk}/")

    # then only the masked values reach the page
    html = response.content.decode()
    assert response.status_code == 200
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "zhang.wei@huaxin.cn" not in html


def test_edit_with_a_stale_version_shows_the_conflict_box(org: Org) -> None:
    # given a customer the rep opened at version 1, then changed by their manager
    customer = a_customer(org.rep_a1, name="上海华信科技有限公司", grade="B")
    User.objects.filter(pk=org.rep_a1.pk).update(language="en")
    client = signed_in(User.objects.get(pk=org.rep_a1.pk))
    assert client.get(f"/customers/{customer.pk}/edit/").context["form"].initial["version"] == 1
    customer_update(actor=org.actor(org.east_a_manager), customer_id=customer.pk, version=1, values={"grade": "A"})

    # when the rep saves their edit from version 1
    response = client.post(
        f"/customers/{customer.pk}/edit/",
        customer_form(name="上海华信数字科技有限公司", grade="C", owner_id=str(org.rep_a1.pk), version="1"),
    )

    # then the form returns with the conflict listing the manager's change, and nothing of theirs is saved
    assert response.status_code == 200
    assert 'data-testid="conflict"' in response.content.decode()
    assert [(c["by"], c["field"], c["old"], c["new"]) for c in response.context["conflict"]] == [
        ("east_a_manager", "grade", "B · important", "A · key")
    ]
    customer.refresh_from_db()
    assert (customer.name, customer.grade, customer.version) == ("上海华信科技有限公司", "A", 2)


def test_edit_with_the_current_version_saves_and_redirects(org: Org) -> None:
    # given a customer at version 1
    customer = a_customer(org.rep_a1, grade="B")

    # when its owner saves the edit form
    response = signed_in(org.rep_a1).post(
        f"/customers/{customer.pk}/edit/", customer_form(grade="A", owner_id=str(org.rep_a1.pk), version="1")
    )

    # then it is saved and they go back to the customer
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    customer.refresh_from_db()
    assert (customer.grade, customer.version) == ("A", 2)


def test_the_edit_form_of_a_masking_viewer_has_no_phone_or_email_field(org: Org) -> None:
    # given a team manager whose role masks, and a customer of their team
    role_update(
        actor=org.actor(org.admin), role_id=Role.objects.get(code=BuiltinRole.SALES_MANAGER).pk, masks_contact_info=True
    )
    customer = a_customer(org.rep_a1, phone="13812345678")

    # when the manager opens the edit form
    response = signed_in(User.objects.get(pk=org.east_a_manager.pk)).get(f"/customers/{customer.pk}/edit/")

    # then phone and email cannot be edited, and the number is nowhere in the page
    assert response.status_code == 200
    assert "phone" not in response.context["form"].fields
    assert "email" not in response.context["form"].fields
    assert "13812345678" not in response.content.decode()


def _streamed(response: Any) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")  # type: ignore[arg-type]


def test_csv_export_streams_the_list_and_writes_an_audit_entry(org: Org) -> None:
    # given two customers in the east manager's department and one elsewhere
    a_customer(org.rep_a1, name="客户甲", grade="A")
    a_customer(org.rep_b1, name="客户乙", grade="B")
    a_customer(org.rep_n1, name="客户丙", grade="A")
    preference_set(actor=org.actor(org.east_manager), key="customer_columns", value=["name", "grade"])

    # when the manager exports the grade-A customers as CSV
    response = signed_in(org.east_manager).get("/customers/export.csv?grade=A")

    # then the file holds exactly the visible matching rows and the export is audited
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    lines = _streamed(response).splitlines()
    assert lines[0].startswith("\ufeff")
    assert lines[1:] == ["客户甲,A"]
    entry = AuditEntry.objects.get(verb=Verb.EXPORT)
    assert (entry.actor_id, entry.target_type) == (org.east_manager.pk, "customers.customer")
    assert entry.changes == {"rows": None, "format": "csv", "filters": {"grade": "A", "sort": "-created_at"}}


def test_xlsx_export_holds_the_rows_and_counts_them_in_the_audit_entry(org: Org) -> None:
    # given two customers the director can see
    a_customer(org.rep_a1, name="客户甲")
    a_customer(org.rep_n1, name="客户丙")
    preference_set(actor=org.actor(org.director), key="customer_columns", value=["name"])

    # when the director exports XLSX sorted by name
    response = signed_in(org.director).get("/customers/export.xlsx?sort=name")

    # then the workbook has a header and both rows, and the entry counts two rows
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    rows = [tuple(row) for row in workbook.active.iter_rows(values_only=True)]  # type: ignore[union-attr]
    assert rows[1:] == [("客户丙",), ("客户甲",)]
    assert len(rows) == 3
    entry = AuditEntry.objects.get(verb=Verb.EXPORT)
    assert (entry.changes["rows"], entry.changes["format"]) == (2, "xlsx")


def test_export_masks_contact_details_as_the_list_does(org: Org) -> None:
    # given a customer with a phone, exported by finance (may export, sees masked)
    a_customer(org.rep_a1, name="客户甲", phone="13812345678", email="zhang.wei@huaxin.cn")
    preference_set(actor=org.actor(org.finance), key="customer_columns", value=["name", "phone", "email"])

    # when finance exports CSV
    body = _streamed(signed_in(org.finance).get("/customers/export.csv"))

    # then the numbers and addresses are masked in the file
    assert body.splitlines()[1:] == ["客户甲,138****5678,z***@huaxin.cn"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_sales_rep_cannot_export(org: Org, file_format: str) -> None:
    # given a rep with customers
    a_customer(org.rep_a1)

    # when they ask for an export
    response = signed_in(org.rep_a1).get(f"/customers/export.{file_format}")

    # then it is forbidden and nothing is audited
    assert response.status_code == 403
    assert AuditEntry.objects.filter(verb=Verb.EXPORT).count() == 0


def test_contact_export_is_forbidden_for_a_rep_too(org: Org) -> None:
    # given a rep
    # when they ask for a contact export
    response = signed_in(org.rep_a1).get("/contacts/export.csv")

    # then it is forbidden
    assert response.status_code == 403


def test_choosing_columns_is_remembered_and_changes_the_list(org: Org) -> None:
    # given a rep with a customer and the default columns
    a_customer(org.rep_a1, name="客户甲", phone="13812345678")
    client = signed_in(org.rep_a1)
    default_keys = [c.key for c in client.get("/customers/").context["columns"]]

    # when they choose name and phone (plus an unknown key)
    response = client.post(
        "/customers/columns/customers/", {"columns": ["phone", "name", "password"], "next": "/customers/?grade=A"}
    )

    # then the choice is stored on the user, they go back, and the list shows those columns in catalogue order
    assert response.status_code == 302
    assert response["Location"] == "/customers/?grade=A"
    assert User.objects.get(pk=org.rep_a1.pk).preferences["customer_columns"] == ["phone", "name"]
    listed = client.get("/customers/")
    assert default_keys == ["name", "grade", "industry", "region", "owner", "tags", "created_at"]
    assert [c.key for c in listed.context["columns"]] == ["name", "phone"]
    assert [values for _customer, values, _neglected in listed.context["rows"]] == [["客户甲", "13812345678"]]


def test_choosing_columns_refuses_an_off_site_redirect(org: Org) -> None:
    # given a rep
    # when the column form names another site as the next page
    response = signed_in(org.rep_a1).post(
        "/customers/columns/contacts/", {"columns": ["name"], "next": "//evil.example.com/"}
    )

    # then they go to the contact list instead, and the contact columns are saved
    assert response.status_code == 302
    assert response["Location"] == "/contacts/"
    assert User.objects.get(pk=org.rep_a1.pk).preferences["contact_columns"] == ["name"]


def test_customer_list_search_finds_by_pinyin(org: Org) -> None:
    # given two customers
    a_customer(org.rep_a1, name="字节跳动科技有限公司")
    a_customer(org.rep_a1, name="上海华信科技有限公司")

    # when the rep searches the list for zjtd
    response = signed_in(org.rep_a1).get("/customers/?q=zjtd")

    # then only 字节跳动 is listed
    assert [customer.name for customer, _values, _neglected in response.context["rows"]] == ["字节跳动科技有限公司"]


def test_the_next_page_for_htmx_is_only_the_rows_partial(org: Org) -> None:
    # given more customers than fit on one page
    for number in range(27):
        a_customer(org.rep_a1, name=f"客户{number:02d}")
    client = signed_in(org.rep_a1)
    cursor = client.get("/customers/?sort=name").context["page"].next_cursor

    # when htmx asks for the next page
    response = client.get(f"/customers/?sort=name&cursor={cursor}", HTTP_HX_REQUEST="true")

    # then only the remaining rows come back, without the page around them
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert [customer.name for customer, _values, _neglected in response.context["rows"]] == ["客户25", "客户26"]


def test_a_bad_cursor_in_the_list_starts_again_from_the_first_page(org: Org) -> None:
    # given a rep
    # when the list is opened with a forged cursor
    response = signed_in(org.rep_a1).get("/customers/?cursor=WyJub3QgYSB0aW1lIiw1XQ")

    # then they are sent to the first page
    assert response.status_code == 302
    assert response["Location"] == "/customers/"


def test_delete_and_restore_through_the_web(org: Org) -> None:
    # given a rep's customer
    customer = a_customer(org.rep_a1)
    client = signed_in(org.rep_a1)

    # when they delete it, then restore it
    deleted = client.post(f"/customers/{customer.pk}/delete/")
    assert Customer.objects.filter(pk=customer.pk).exists() is False
    restored = client.post(f"/customers/{customer.pk}/restore/")

    # then each step redirects and the customer is back
    assert (deleted.status_code, deleted["Location"]) == (302, "/customers/")
    assert (restored.status_code, restored["Location"]) == (302, f"/customers/{customer.pk}/")
    assert Customer.objects.filter(pk=customer.pk).exists() is True


def test_pages_need_sign_in(db: None) -> None:
    # given an anonymous visitor
    # when they open the customer list
    response = Client().get("/customers/")

    # then they are sent to sign in
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
