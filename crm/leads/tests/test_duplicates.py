"""Leads in the duplicate check: keys kept, candidates across leads, customers and contacts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from conftest import Org
from crm.customers.duplicates.check import DuplicatesFound
from crm.customers.duplicates.lookup import duplicate_candidates
from crm.customers.duplicates.scan import scan_pairs
from crm.customers.models import DuplicateMode, DuplicatePolicy
from crm.customers.services import customer_create
from crm.customers.tests.factories import a_contact, a_customer
from crm.leads.models import Lead
from crm.leads.services import lead_create, lead_update
from crm.leads.tests.factories import a_lead


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Reasons are asserted in English here; rendering them in Chinese is tested in test_duplicates_reasons."""
    with translation.override("en"):
        yield


def test_lead_services_keep_the_company_name_key(org: Org) -> None:
    # given a lead captured through the service
    lead = a_lead(org.rep_a1, company_name="北京字节跳动科技有限公司")

    # when its company is renamed
    lead_update(
        actor=org.actor(org.rep_a1),
        lead_id=lead.pk,
        version=Lead.objects.get(pk=lead.pk).version,
        values={"company_name": "上海华信科技有限公司"},
    )

    # then the key follows the company name
    assert Lead.objects.get(pk=lead.pk).name_key == "华信"


def test_a_new_lead_finds_a_contact_by_phone_and_a_customer_by_company(org: Org) -> None:
    # given a customer and a contact of the rep
    customer = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")
    contact = a_contact(org.rep_a1, customer, name="王建国", mobile="13912345678", email="")

    # when a lead with that person's mobile and that company is checked
    found = duplicate_candidates(
        viewer=org.actor(org.rep_a1),
        values={"name": "王建国", "company_name": "云栖智能制造(杭州)有限公司", "mobile": "139 1234 5678"},
        object_type="leads",
    )

    # then both are candidates, each with its type and reasons
    assert [(c.object_type, c.record_id, c.score, c.reasons) for c in found] == [
        ("contacts", contact.pk, 85, ["same phone +8613912345678", "same name 王建国"]),
        ("customers", customer.pk, 50, ["company name ~ 云栖智能制造"]),
    ]


def test_a_lead_is_warned_about_an_existing_lead_until_confirmed(org: Org) -> None:
    # given a lead
    existing = a_lead(org.rep_a1, name="王建国", mobile="13912345678", email="wang.jianguo@yunqi.cn")
    actor = org.actor(org.rep_a1)
    values = {"name": "王建国", "company_name": "杭州云栖", "email": "Wang.JianGuo@yunqi.cn "}

    # when the same person is entered again
    with pytest.raises(DuplicatesFound) as refused:
        lead_create(actor=actor, values=values)

    # then the existing lead is the candidate; confirming saves the new one
    assert [(c["object_type"], c["id"]) for c in refused.value.extra["candidates"]] == [("leads", existing.pk)]
    assert lead_create(actor=actor, values=values, allow_duplicates=True).pk != existing.pk


def test_a_new_customer_finds_a_lead_of_the_same_company(org: Org) -> None:
    # given a lead
    lead = a_lead(org.rep_a1, company_name="杭州云栖智能制造有限公司", mobile="13912345678")

    # when a customer of the same company is entered
    with pytest.raises(DuplicatesFound) as refused:
        customer_create(actor=org.actor(org.rep_a1), values={"name": "云栖智能制造（杭州）有限公司"})

    # then the lead is the candidate
    assert [(c["object_type"], c["id"]) for c in refused.value.extra["candidates"]] == [("leads", lead.pk)]


def test_block_refuses_a_lead_for_good(org: Org) -> None:
    # given the lead policy is block and a customer with a phone
    DuplicatePolicy.objects.create(object_type="leads", mode=DuplicateMode.BLOCK)
    a_customer(org.rep_a1, name="上海华信科技有限公司", phone="021-61234567")

    # when a lead with that phone is confirmed
    with pytest.raises(DuplicatesFound):
        lead_create(
            actor=org.actor(org.rep_a1),
            values={"name": "李娜", "phone": "02161234567"},
            allow_duplicates=True,
        )

    # then there is no lead
    assert Lead.objects.count() == 0


def test_leads_can_be_scanned_too(org: Org) -> None:
    # given two leads with one mobile number
    first = a_lead(org.rep_a1, name="王建国", mobile="13912345678", email="")
    second = a_lead(org.rep_a1, name="王 建国", mobile="139-1234-5678", email="", company_name="")

    # when leads are scanned, then they are one pair with the reasons
    [pair] = list(scan_pairs(object_type="leads"))
    assert (pair.left_id, pair.right_id, pair.reasons) == (
        first.pk,
        second.pk,
        ["same phone +8613912345678", "same name 王建国"],
    )
