"""Conversion onto existing records the duplicate check finds, and the lead's history on the customer."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Org
from crm.core.actors import api_actor, web_actor
from crm.core.errors import ValidationFailed
from crm.customers.models import Contact, Customer
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.services import token_create
from crm.leads.models import Lead
from crm.leads.services import lead_convert, lead_set_status
from crm.leads.tests.factories import a_lead


def signed_in(org: Org, username: str) -> Client:
    client = Client()
    client.force_login(getattr(org, username))
    return client


def test_the_conversion_screen_offers_matching_contacts_and_customers(org: Org) -> None:
    # given a customer and a contact that match the lead, and a matching contact of someone else
    customer = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")
    contact = a_contact(org.rep_a1, customer, name="王建国", mobile="13912345678")
    a_contact(org.rep_n1, None, name="王建国", mobile="13912345678", email="other@example.cn")
    lead = a_lead(org.rep_a1)
    # when the owner opens the lead
    response = signed_in(org, "rep_a1").get(f"/leads/{lead.pk}/")
    # then the visible ones are offered, the hidden one is not
    choices = response.context["conversion"]
    assert [c.record_id for c in choices.customers] == [customer.pk]
    assert [(c.record_id, employer) for c, employer in choices.contacts] == [(contact.pk, "杭州云栖智能制造有限公司")]
    assert 'name="contact_id"' in response.content.decode()


def test_converting_onto_an_existing_contact_links_it_and_its_customer(org: Org) -> None:
    # given a lead for a person who is already a contact at a customer
    customer = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")
    contact = a_contact(org.rep_a1, customer, name="王建国", mobile="13912345678")
    lead = a_lead(org.rep_a1)
    # when the rep converts it choosing that contact
    response = signed_in(org, "rep_a1").post(f"/leads/{lead.pk}/convert/", data={"contact_id": contact.pk})
    # then no new customer or contact is created and the lead points at the existing ones
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    lead.refresh_from_db()
    assert (lead.status, lead.converted_customer_id, lead.converted_contact_id) == (
        "converted",
        customer.pk,
        contact.pk,
    )
    assert (Customer.objects.count(), Contact.objects.count()) == (1, 1)
    assert lead.first_contacted_at == lead.converted_at


def test_a_contact_the_rep_cannot_see_is_refused(org: Org) -> None:
    hidden = a_contact(org.rep_n1, a_customer(org.rep_n1), name="王建国")
    lead = a_lead(org.rep_a1)
    with pytest.raises(ValidationFailed) as refused:
        lead_convert(actor=web_actor(org.rep_a1), lead_id=lead.pk, contact_id=hidden.pk)
    assert [e.field for e in refused.value.errors] == ["contact_id"]
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_a_contact_at_another_customer_than_the_chosen_one_is_refused(org: Org) -> None:
    contact = a_contact(org.rep_a1, a_customer(org.rep_a1, name="甲公司"))
    other = a_customer(org.rep_a1, name="乙公司")
    lead = a_lead(org.rep_a1)
    with pytest.raises(ValidationFailed) as refused:
        lead_convert(actor=web_actor(org.rep_a1), lead_id=lead.pk, customer_id=other.pk, contact_id=contact.pk)
    assert [e.field for e in refused.value.errors] == ["contact_id"]


def test_the_first_status_change_records_the_first_contact_once(org: Org) -> None:
    lead = a_lead(org.rep_a1)
    contacted = lead_set_status(actor=web_actor(org.rep_a1), lead_id=lead.pk, status="contacted")
    first = contacted.first_contacted_at
    qualified = lead_set_status(actor=web_actor(org.rep_a1), lead_id=lead.pk, status="qualified")
    assert first is not None
    assert Lead.objects.get(pk=lead.pk).first_contacted_at == first == qualified.first_contacted_at


def test_the_customer_page_shows_its_source_leads_with_their_status_history(org: Org) -> None:
    # given a web-form lead that was contacted, qualified and converted
    lead = a_lead(org.rep_a1, channel="web_form", campaign="2026 春季峰会")
    actor = web_actor(org.rep_a1)
    lead_set_status(actor=actor, lead_id=lead.pk, status="contacted")
    lead_set_status(actor=actor, lead_id=lead.pk, status="qualified")
    converted = lead_convert(actor=actor, lead_id=lead.pk)
    client = signed_in(org, "rep_a1")
    customer_id = converted.converted_customer_id
    # when the customer's page loads its source-leads panel
    page = client.get(f"/customers/{customer_id}/").content.decode()
    panel = client.get(f"/leads/for-customer/{customer_id}/")
    # then the panel shows the lead, its source and campaign, and each status step
    assert f'hx-get="/leads/for-customer/{customer_id}/"' in page
    assert panel.status_code == 200
    [source] = panel.context["sources"]
    assert source.lead.pk == lead.pk
    assert [(step.old, step.new) for step in source.status_history] == [
        ("", "新线索"),
        ("新线索", "已联系"),
        ("已联系", "有效"),
        ("有效", "已转化"),
    ]
    body = panel.content.decode()
    assert "2026 春季峰会" in body
    assert "网页表单" in body


def test_a_colleagues_lead_converted_onto_my_customer_shows_without_a_link(org: Org) -> None:
    # given rep_b1 converts their lead onto rep_a1's customer, which rep_b1 may see as a director would
    customer = a_customer(org.rep_a1, name="无锡药明康德新药开发股份有限公司")
    lead = a_lead(org.rep_b1, name="钱伟", company_name="无锡药明康德新药开发股份有限公司", mobile="13700001111")
    lead_convert(actor=web_actor(org.director), lead_id=lead.pk, customer_id=customer.pk)
    # when rep_a1 opens the customer's source-leads panel
    panel = signed_in(org, "rep_a1").get(f"/leads/for-customer/{customer.pk}/")
    # then the lead and its source are shown, but not as a link to a lead rep_a1 may not open
    [source] = panel.context["sources"]
    body = panel.content.decode()
    assert (source.lead.pk, source.may_open) == (lead.pk, False)
    assert "钱伟" in body
    assert f'href="/leads/{lead.pk}/"' not in body
    assert "13700001111" not in body


def test_the_source_leads_panel_is_404_for_a_hidden_customer(org: Org) -> None:
    customer = a_customer(org.rep_n1)
    assert signed_in(org, "rep_a1").get(f"/leads/for-customer/{customer.pk}/").status_code == 404


def test_the_api_converts_onto_an_existing_contact(org: Org) -> None:
    # given a lead and the contact it duplicates, and an API token
    customer = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")
    contact = a_contact(org.rep_a1, customer, name="王建国", mobile="13912345678")
    lead = a_lead(org.rep_a1)
    _token, secret = token_create(actor=api_actor(org.rep_a1), name="tests")
    # when it is converted with contact_id
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").post(
        f"/api/v1/leads/{lead.pk}/convert", data={"contact_id": contact.pk}, content_type="application/json"
    )
    # then the answer links the existing records
    assert response.status_code == 200
    assert (response.json()["converted_customer_id"], response.json()["converted_contact_id"]) == (
        customer.pk,
        contact.pk,
    )


def test_conversion_can_open_a_deal_with_the_lead_as_its_source(org: Org) -> None:
    from decimal import Decimal

    from crm.deals.models import Deal

    # given a qualified lead
    lead = a_lead(org.rep_a1, name="孙丽", company_name="常州天合光能有限公司")
    # when the rep converts it from its page, ticking "also open a deal"
    response = signed_in(org, "rep_a1").post(
        f"/leads/{lead.pk}/convert/",
        {"open_deal": "on", "deal_name": "天合光能 CRM 项目", "deal_amount": "680000"},
    )
    # then a deal is open on the new customer, owned by the lead's owner, with the lead as its source
    assert response.status_code == 302
    lead.refresh_from_db()
    deal = Deal.objects.get()
    assert (deal.name, deal.amount, deal.customer_id, deal.owner_id, deal.source_lead_id) == (
        "天合光能 CRM 项目",
        Decimal("680000.00"),
        lead.converted_customer_id,
        org.rep_a1.pk,
        lead.pk,
    )
    assert deal.stage.name == "初步沟通"


def test_conversion_without_the_deal_box_opens_no_deal(org: Org) -> None:
    from crm.deals.models import Deal

    lead = a_lead(org.rep_a1)
    signed_in(org, "rep_a1").post(f"/leads/{lead.pk}/convert/", {"deal_name": "不应创建"})
    assert Deal.objects.count() == 0


def test_the_api_converts_and_opens_a_deal(org: Org) -> None:
    from crm.deals.models import Deal

    lead = a_lead(org.rep_a1, company_name="合肥阳光电源股份有限公司")
    _token, secret = token_create(actor=api_actor(org.rep_a1), name="tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.post(
        f"/api/v1/leads/{lead.pk}/convert",
        {"open_deal": True, "deal_amount": "120000.50"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    deal = Deal.objects.get(source_lead_id=lead.pk)
    assert (deal.name, str(deal.amount)) == ("合肥阳光电源股份有限公司", "120000.50")
