from typing import Any

from django.test import Client

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.customers.models import Customer
from crm.identity.models import User
from crm.leads.models import Lead, LeadStatus
from crm.leads.services import lead_update
from crm.leads.tests.factories import a_lead


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def lead_form(**values: Any) -> dict[str, Any]:
    data = {"name": "赵磊", "company_name": "南京紫金云数据有限公司", "channel": "manual"}
    data.update(values)
    return data


def test_the_list_shows_visible_leads_and_finds_by_pinyin(org: Org) -> None:
    # given leads of two reps
    a_lead(org.rep_a1, name="王建国")
    a_lead(org.rep_a1, name="李娜")
    a_lead(org.rep_n1, name="刘强")

    # when rep_a1 opens the list, and searches for wjg
    everything = signed_in(org.rep_a1).get("/leads/")
    found = signed_in(org.rep_a1).get("/leads/?q=wjg")

    # then they see only their own, and the search narrows them
    assert everything.status_code == 200
    assert sorted(lead.name for lead, _values in everything.context["rows"]) == ["李娜", "王建国"]
    assert [lead.name for lead, _values in found.context["rows"]] == ["王建国"]


def test_the_navigation_has_a_leads_entry_before_customers(org: Org) -> None:
    response = signed_in(org.rep_a1).get("/leads/")
    keys = [item["key"] for item in response.context["nav_items"]]
    assert keys[:3] == ["home", "leads", "customers"]
    assert response.context["nav_active"] == "leads"


def test_create_form_saves_and_redirects_to_the_lead(org: Org) -> None:
    # given a rep
    client = signed_in(org.rep_a1)

    # when they submit the form
    response = client.post("/leads/new/", lead_form(mobile="13800138000", owner_id=str(org.rep_a1.pk)))

    # then the lead exists and they land on it
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert (lead.name, lead.mobile, lead.channel) == ("赵磊", "+8613800138000", "manual")


def test_create_form_shows_a_bad_phone_beside_the_field(org: Org) -> None:
    response = signed_in(org.rep_a1).post("/leads/new/", lead_form(mobile="12", owner_id=str(org.rep_a1.pk)))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["mobile"]
    assert "12" in form.errors["mobile"][0]
    assert form.errors["mobile"][0] in response.content.decode()
    assert Lead.objects.count() == 0


def test_detail_of_a_hidden_lead_is_404(org: Org) -> None:
    lead = a_lead(org.rep_n1)
    assert signed_in(org.rep_a1).get(f"/leads/{lead.pk}/").status_code == 404


def test_edit_with_a_stale_version_shows_the_conflict_box(org: Org) -> None:
    # given a lead changed by someone else after the form was opened at version 1
    lead = a_lead(org.rep_a1)
    lead_update(actor=org.actor(org.rep_a1), lead_id=lead.pk, version=1, values={"title": "总经理"})

    # when the stale form is saved
    response = signed_in(org.rep_a1).post(
        f"/leads/{lead.pk}/edit/", lead_form(version="1", title="副总", owner_id=str(org.rep_a1.pk))
    )

    # then the conflict box lists the change
    assert response.status_code == 200
    assert [(c["field"], c["new"]) for c in response.context["conflict"]] == [("title", "总经理")]
    assert 'data-testid="conflict"' in response.content.decode()


def test_status_form_without_a_reason_shows_the_error(org: Org) -> None:
    # given a lead
    lead = a_lead(org.rep_a1)

    # when it is marked unqualified without a reason
    response = signed_in(org.rep_a1).post(f"/leads/{lead.pk}/status/", {"status": "unqualified", "version": "1"})

    # then the reason field shows why, and the status is unchanged
    assert response.status_code == 422
    errors = response.context["status_form"].errors
    assert list(errors) == ["unqualified_reason"]
    assert errors["unqualified_reason"][0] in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_status_form_with_a_reason_saves(org: Org) -> None:
    lead = a_lead(org.rep_a1)
    response = signed_in(org.rep_a1).post(
        f"/leads/{lead.pk}/status/", {"status": "unqualified", "unqualified_reason": "预算不足", "version": "1"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.unqualified_reason) == ("unqualified", "预算不足")


def test_convert_button_creates_the_customer_and_the_detail_links_to_it(org: Org) -> None:
    # given a lead
    lead = a_lead(org.rep_a1)
    client = signed_in(org.rep_a1)

    # when the rep converts it
    response = client.post(f"/leads/{lead.pk}/convert/", {"customer_id": ""})

    # then they land on the new customer, and the lead's page links to it
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    detail = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f'href="/customers/{customer.pk}/"' in detail
    assert 'data-testid="convert-form"' not in detail


def test_converting_twice_shows_a_message_and_creates_nothing(org: Org) -> None:
    lead = a_lead(org.rep_a1)
    client = signed_in(org.rep_a1)
    client.post(f"/leads/{lead.pk}/convert/", follow=True)
    response = client.post(f"/leads/{lead.pk}/convert/", follow=True)
    assert [message.level_tag for message in response.context["messages"]] == ["error"]
    assert Customer.objects.count() == 1


def test_csv_export_lists_the_leads_and_is_audited(org: Org) -> None:
    # given a lead the director can see
    a_lead(org.rep_a1, name="王建国")

    # when the director exports the list
    response = signed_in(org.director).get("/leads/export.csv")

    # then the file holds the lead and the export is audited
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert "王建国" in body
    assert AuditEntry.objects.filter(verb=Verb.EXPORT, target_type="leads.lead").count() == 1


def test_a_rep_cannot_export(org: Org) -> None:
    assert signed_in(org.rep_a1).get("/leads/export.xlsx").status_code == 403


def test_delete_and_restore_through_the_web(org: Org) -> None:
    lead = a_lead(org.rep_a1)
    client = signed_in(org.rep_a1)
    assert client.post(f"/leads/{lead.pk}/delete/")["Location"] == "/leads/"
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert client.post(f"/leads/{lead.pk}/restore/")["Location"] == f"/leads/{lead.pk}/"
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_pages_need_sign_in(db: None) -> None:
    response = Client().get("/leads/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_a_deleted_lead_is_listed_in_the_recycle_bin_with_a_restore_button(org: Org) -> None:
    lead = a_lead(org.rep_a1, name="王建国")
    client = signed_in(org.rep_a1)
    client.post(f"/leads/{lead.pk}/delete/")
    html = client.get("/trash/").content.decode()
    assert "王建国" in html
    assert f'action="/leads/{lead.pk}/restore/"' in html
