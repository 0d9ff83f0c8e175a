from decimal import Decimal

import pytest
from django.utils import translation

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.customers.models import Contact, Customer
from crm.customers.tests.factories import a_customer
from crm.leads.models import Channel, Lead, LeadStatus
from crm.leads.services import (
    lead_convert,
    lead_create,
    lead_delete,
    lead_restore,
    lead_set_status,
    lead_update,
)
from crm.leads.tests.factories import a_lead


def test_create_cleans_the_input_and_audits_it(org: Org) -> None:
    # given a rep in the web UI
    actor = org.actor(org.rep_a1)

    # when they enter a lead with a spaced mobile number and an upper-case email
    lead = lead_create(
        actor=actor,
        values={
            "name": " 李明 ",
            "company_name": "苏州工业园区博创电子有限公司",
            "mobile": "139 1234 5678",
            "email": " Li.Ming@BOCHUANG.cn ",
            "annual_revenue": "25,000,000",
        },
    )

    # then it is stored clean, owned by the rep in the rep's team, new and entered by hand
    lead.refresh_from_db()
    assert (lead.name, lead.mobile, lead.email) == ("李明", "+8613912345678", "li.ming@bochuang.cn")
    assert lead.annual_revenue == Decimal("25000000.00")
    assert (lead.owner_id, lead.team_id) == (org.rep_a1.pk, org.rep_a1.team_id)
    assert (lead.status, lead.channel, lead.raw_submission) == (LeadStatus.NEW, Channel.MANUAL, {})
    entry = AuditEntry.objects.get(target_type="leads.lead", target_id=lead.pk)
    assert entry.verb == Verb.CREATE
    assert entry.changes["name"] == [None, "李明"]


def test_create_through_the_api_defaults_the_channel_to_api(org: Org) -> None:
    # given a rep using the API
    # when they create a lead without a channel
    lead = lead_create(actor=org.api(org.rep_a1), values={"name": "Emily Chen", "raw_submission": {"form": "试用申请"}})

    # then its channel is the API and the raw submission is kept
    assert lead.channel == Channel.API
    assert lead.raw_submission == {"form": "试用申请"}


def test_create_lists_every_bad_field_at_once(org: Org) -> None:
    # given a rep
    # when they submit a lead with no name, a bad phone, a bad email and an unknown channel
    with pytest.raises(ValidationFailed) as caught:
        lead_create(
            actor=org.actor(org.rep_a1),
            values={"name": "", "mobile": "12345", "email": "not-an-email", "channel": "carrier-pigeon"},
        )

    # then each field is named
    assert sorted(error.field for error in caught.value.errors) == ["channel", "email", "mobile", "name"]
    assert Lead.objects.count() == 0


def test_an_external_id_is_unique(org: Org) -> None:
    # given a lead with an external id
    a_lead(org.rep_a1, external_id="CRM-001")

    # when another lead claims the same id
    with pytest.raises(ValidationFailed) as caught:
        a_lead(org.rep_a2, external_id="CRM-001")

    # then the external id field is refused
    assert [error.field for error in caught.value.errors] == ["external_id"]


def test_update_with_a_stale_version_is_a_conflict_listing_the_changes(org: Org) -> None:
    # given a lead the rep opened at version 1, then someone else changed
    lead = a_lead(org.rep_a1)
    lead_update(actor=org.actor(org.rep_a1), lead_id=lead.pk, version=1, values={"title": "总经理"})

    # when the rep saves their version-1 copy
    with pytest.raises(Conflict) as caught:
        lead_update(actor=org.actor(org.rep_a1), lead_id=lead.pk, version=1, values={"title": "副总经理"})

    # then they are refused and shown what changed
    assert [(change["field"], change["new"]) for change in caught.value.extra["changes"]] == [("title", "总经理")]
    lead.refresh_from_db()
    assert (lead.title, lead.version) == ("总经理", 2)


def test_a_rep_cannot_change_a_colleagues_lead(org: Org) -> None:
    # given a lead of rep_a1
    lead = a_lead(org.rep_a1)

    # when rep_b1 (another team) tries to edit it
    # then it is as if it did not exist
    with pytest.raises(NotFound):
        lead_update(actor=org.actor(org.rep_b1), lead_id=lead.pk, version=1, values={"title": "x"})


def test_unqualified_needs_a_reason(org: Org) -> None:
    # given a lead
    lead = a_lead(org.rep_a1)

    # when it is marked unqualified without a reason
    with pytest.raises(ValidationFailed) as caught:
        lead_set_status(actor=org.actor(org.rep_a1), lead_id=lead.pk, status="unqualified", reason=" ")

    # then the reason field is named
    assert [error.field for error in caught.value.errors] == ["unqualified_reason"]


def test_status_changes_are_stored_and_audited(org: Org) -> None:
    # given a lead
    lead = a_lead(org.rep_a1)

    # when it is marked unqualified with a reason, then contacted again
    lead_set_status(actor=org.actor(org.rep_a1), lead_id=lead.pk, status="unqualified", reason="预算不足")
    lead.refresh_from_db()
    assert (lead.status, lead.unqualified_reason, lead.version) == ("unqualified", "预算不足", 2)
    lead_set_status(actor=org.actor(org.rep_a1), lead_id=lead.pk, status="contacted", version=2)

    # then the reason is cleared and both changes are audited
    lead.refresh_from_db()
    assert (lead.status, lead.unqualified_reason, lead.version) == ("contacted", "", 3)
    changes = [
        entry.changes["status"]
        for entry in AuditEntry.objects.filter(target_id=lead.pk, verb=Verb.UPDATE).order_by("pk")
    ]
    assert changes == [["new", "unqualified"], ["unqualified", "contacted"]]


def test_converted_cannot_be_set_as_a_status(org: Org) -> None:
    lead = a_lead(org.rep_a1)
    with pytest.raises(ValidationFailed) as caught:
        lead_set_status(actor=org.actor(org.rep_a1), lead_id=lead.pk, status="converted")
    assert [error.field for error in caught.value.errors] == ["status"]


def test_convert_creates_a_customer_and_a_contact_and_links_them(org: Org) -> None:
    # given a lead from an event
    lead = a_lead(org.rep_a1, phone="0571-8888 6666", annual_revenue="12000000")

    # when the rep converts it
    converted = lead_convert(actor=org.actor(org.rep_a1), lead_id=lead.pk)

    # then a customer named after the company and a contact named after the person exist, owned by the rep
    customer = Customer.objects.get()
    contact = Contact.objects.get()
    assert (customer.name, customer.industry, customer.source) == ("杭州云栖智能制造有限公司", "智能制造", "exhibition")
    assert customer.annual_revenue == Decimal("12000000.00")
    assert (contact.name, contact.customer_id, contact.mobile, contact.email) == (
        "王建国",
        customer.pk,
        "+8613912345678",
        "wang.jianguo@yunqi.cn",
    )
    assert customer.owner_id == contact.owner_id == org.rep_a1.pk
    # and the lead is converted with links to both, audited
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert (lead.converted_customer_id, lead.converted_contact_id) == (customer.pk, contact.pk)
    assert lead.converted_at is not None
    assert converted.version == lead.version == 2
    entry = AuditEntry.objects.filter(target_type="leads.lead", target_id=lead.pk, verb=Verb.UPDATE).get()
    assert entry.changes["status"] == ["new", "converted"]


def test_a_lead_is_converted_only_once(org: Org) -> None:
    # given a converted lead
    lead = a_lead(org.rep_a1)
    lead_convert(actor=org.actor(org.rep_a1), lead_id=lead.pk)

    # when it is converted again
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        lead_convert(actor=org.actor(org.rep_a1), lead_id=lead.pk)

    # then it is refused clearly and nothing more is created
    assert caught.value.message == "This lead has already been converted."
    assert (Customer.objects.count(), Contact.objects.count()) == (1, 1)


def test_convert_can_add_the_contact_to_an_existing_customer(org: Org) -> None:
    # given a customer the rep can see and a lead from the same company
    customer = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")
    lead = a_lead(org.rep_a1)

    # when the rep converts the lead into that customer
    lead_convert(actor=org.actor(org.rep_a1), lead_id=lead.pk, customer_id=customer.pk)

    # then no customer is created and the contact joins the existing one
    assert Customer.objects.count() == 1
    contact = Contact.objects.get()
    assert contact.customer_id == customer.pk
    lead.refresh_from_db()
    assert lead.converted_customer_id == customer.pk


def test_convert_refuses_a_customer_the_actor_cannot_see(org: Org) -> None:
    # given a customer of another team
    hidden = a_customer(org.rep_n1, name="北京远航物流有限公司")
    lead = a_lead(org.rep_a1)

    # when the rep converts into it
    with pytest.raises(ValidationFailed) as caught:
        lead_convert(actor=org.actor(org.rep_a1), lead_id=lead.pk, customer_id=hidden.pk)

    # then it is refused and nothing was written
    assert [error.field for error in caught.value.errors] == ["customer_id"]
    assert Contact.objects.count() == 0
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_a_viewer_who_may_not_change_cannot_convert(org: Org) -> None:
    # given a rep's lead, which finance sees (all records) but may not change
    lead = a_lead(org.rep_a1)

    # when finance converts it
    with pytest.raises(PermissionDenied):
        lead_convert(actor=org.actor(org.finance), lead_id=lead.pk)

    # then nothing is created
    assert Customer.objects.count() == 0


def test_a_lead_hidden_from_the_actor_cannot_be_converted(org: Org) -> None:
    # given a rep's lead, which another rep of the same team may not see
    lead = a_lead(org.rep_a1)

    # when that rep converts it
    # then it is as if it did not exist
    with pytest.raises(NotFound):
        lead_convert(actor=org.actor(org.rep_a2), lead_id=lead.pk)


def test_delete_and_restore(org: Org) -> None:
    # given a lead
    lead = a_lead(org.rep_a1)

    # when it is deleted, it leaves the live leads; restored, it comes back
    lead_delete(actor=org.actor(org.rep_a1), lead_id=lead.pk)
    assert not Lead.objects.filter(pk=lead.pk).exists()
    lead_restore(actor=org.actor(org.rep_a1), lead_id=lead.pk)
    assert Lead.objects.filter(pk=lead.pk).exists()
    verbs = list(AuditEntry.objects.filter(target_id=lead.pk, target_type="leads.lead").values_list("verb", flat=True))
    assert sorted(verbs) == ["create", "delete", "restore"]
