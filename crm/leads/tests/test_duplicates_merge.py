"""Merging duplicates: chosen values kept, every related row re-pointed, undo puts all back."""

from __future__ import annotations

import pytest

from conftest import Org
from crm.activities.models import Activity
from crm.audit.models import AuditEntry
from crm.core.errors import Conflict, NotFound
from crm.customers.merging import field_choices, merge_undo, records_merge
from crm.customers.models import Contact, Customer, Merge
from crm.customers.services import customer_update
from crm.customers.tests.factories import a_contact, a_customer
from crm.leads.models import Lead
from crm.leads.tests.factories import a_lead


def a_follow_up(customer: Customer, contact: Contact | None, content: str) -> Activity:
    return Activity.objects.create(customer=customer, contact=contact, content=content, owner=customer.owner)


def test_a_customer_merge_keeps_chosen_values_and_moves_every_related_row(org: Org) -> None:
    # given two spellings of one company, each with a contact and a follow-up; a lead converted to the second
    survivor = a_customer(org.rep_a1, name="北京字节跳动科技有限公司", phone="", industry="互联网")
    loser = a_customer(org.rep_a1, name="字节跳动(北京)科技有限公司", phone="010-62345678", industry="")
    kept_contact = a_contact(org.rep_a1, survivor, name="张伟", mobile="13800000001")
    moved_contact = a_contact(org.rep_a1, loser, name="李娜", mobile="13800000002", email="li.na@example.cn")
    kept_follow_up = a_follow_up(survivor, kept_contact, "初次拜访")
    moved_follow_up = a_follow_up(loser, moved_contact, "报价已发")
    lead = a_lead(org.rep_a1, company_name="字节跳动")
    Lead.objects.filter(pk=lead.pk).update(converted_customer=loser, converted_contact=moved_contact)

    # when the rep merges the second into the first, keeping the second's phone
    merge = records_merge(
        actor=org.actor(org.rep_a1),
        object_type="customers",
        survivor_id=survivor.pk,
        loser_id=loser.pk,
        survivor_version=survivor.version,
        loser_version=loser.version,
        keep_from_loser={"phone"},
    )

    # then the survivor has the chosen values, the other customer is in the recycle bin
    kept = Customer.objects.get(pk=survivor.pk)
    assert (kept.name, kept.phone, kept.industry, kept.version) == (
        "北京字节跳动科技有限公司",
        "+861062345678",
        "互联网",
        2,
    )
    assert Customer.all_objects.get(pk=loser.pk).deleted_at is not None
    # and everything that pointed at it now points at the survivor
    assert Contact.objects.get(pk=moved_contact.pk).customer_id == survivor.pk
    assert Activity.objects.get(pk=moved_follow_up.pk).customer_id == survivor.pk
    assert Activity.objects.get(pk=kept_follow_up.pk).customer_id == survivor.pk
    assert Lead.objects.get(pk=lead.pk).converted_customer_id == survivor.pk
    assert merge.moved == {
        "activities.Activity.customer": [moved_follow_up.pk],
        "customers.Contact.customer": [moved_contact.pk],
        "leads.Lead.converted_customer": [lead.pk],
    }
    assert merge.survivor_before == {"phone": ""}
    # and both records have a "merge" audit entry
    verbs = AuditEntry.objects.filter(verb="merge", target_type="customers.customer").order_by("target_id")
    assert [(e.target_id, sorted(e.changes)) for e in verbs] == [
        (survivor.pk, ["merged_from", "moved", "phone"]),
        (loser.pk, ["merged_into"]),
    ]


def test_undo_restores_the_values_the_record_and_exactly_the_moved_rows(org: Org) -> None:
    # given a merged pair, and a contact added to the survivor after the merge
    survivor = a_customer(org.rep_a1, name="上海华信科技有限公司", phone="")
    loser = a_customer(org.rep_a1, name="华信科技(上海)有限公司", phone="021-61234567", grade="A")
    moved_contact = a_contact(org.rep_a1, loser, name="王芳", mobile="13800000003")
    moved_follow_up = a_follow_up(loser, moved_contact, "电话沟通")
    actor = org.actor(org.rep_a1)
    merge = records_merge(
        actor=actor,
        object_type="customers",
        survivor_id=survivor.pk,
        loser_id=loser.pk,
        survivor_version=1,
        loser_version=1,
        keep_from_loser={"phone", "grade"},
    )
    later_contact = a_contact(org.rep_a1, survivor, name="赵磊", mobile="13800000004")

    # when the merge is undone
    merge_undo(actor=actor, merge_id=merge.pk)

    # then the survivor has its old values, the other customer is back with its own rows
    kept = Customer.objects.get(pk=survivor.pk)
    assert (kept.phone, kept.grade) == ("", "B")
    assert Customer.objects.get(pk=loser.pk).phone == "+862161234567"
    assert Contact.objects.get(pk=moved_contact.pk).customer_id == loser.pk
    assert Activity.objects.get(pk=moved_follow_up.pk).customer_id == loser.pk
    # and a row added to the survivor since the merge stays there
    assert Contact.objects.get(pk=later_contact.pk).customer_id == survivor.pk
    assert Merge.objects.get(pk=merge.pk).undone_at is not None
    assert AuditEntry.objects.filter(verb="unmerge").count() == 2


def test_merging_a_record_someone_just_edited_is_a_conflict(org: Org) -> None:
    # given two customers, one edited after the merge screen was opened
    survivor = a_customer(org.rep_a1, name="北京字节跳动科技有限公司")
    loser = a_customer(org.rep_a1, name="字节跳动科技有限公司")
    customer_update(actor=org.actor(org.rep_a1), customer_id=loser.pk, version=1, values={"grade": "A"})

    # when the merge is sent with the versions that were read
    with pytest.raises(Conflict) as refused:
        records_merge(
            actor=org.actor(org.rep_a1),
            object_type="customers",
            survivor_id=survivor.pk,
            loser_id=loser.pk,
            survivor_version=1,
            loser_version=1,
        )

    # then nothing is merged and the change is listed
    assert [change["field"] for change in refused.value.extra["changes"]] == ["grade"]
    assert Customer.objects.filter(pk=loser.pk).exists()
    assert Merge.objects.count() == 0


def test_a_rep_cannot_merge_a_record_of_someone_else(org: Org) -> None:
    # given a customer of the rep and one of a rep in another team
    mine = a_customer(org.rep_a1, name="北京字节跳动科技有限公司")
    theirs = a_customer(org.rep_n1, name="字节跳动科技有限公司")

    # when the rep tries to merge them, the other record is not found for them
    with pytest.raises(NotFound):
        records_merge(
            actor=org.actor(org.rep_a1),
            object_type="customers",
            survivor_id=mine.pk,
            loser_id=theirs.pk,
            survivor_version=1,
            loser_version=1,
        )
    assert Customer.objects.count() == 2


def test_a_contact_merge_moves_follow_ups_and_lead_links(org: Org) -> None:
    # given two contacts of one person, a follow-up and a lead conversion on the second
    customer = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")
    survivor = a_contact(org.rep_a1, customer, name="Zhang Wei", mobile="13800000005", email="")
    loser = a_contact(org.rep_a1, customer, name="Wei ZHANG", mobile="13800000005", email="zw@yunqi.cn")
    follow_up = a_follow_up(customer, loser, "演示")
    lead = a_lead(org.rep_a1)
    Lead.objects.filter(pk=lead.pk).update(converted_customer=customer, converted_contact=loser)

    # when they are merged keeping the second's email
    records_merge(
        actor=org.actor(org.rep_a1),
        object_type="contacts",
        survivor_id=survivor.pk,
        loser_id=loser.pk,
        survivor_version=1,
        loser_version=1,
        keep_from_loser={"email"},
    )

    # then the survivor has the email and the links
    assert Contact.objects.get(pk=survivor.pk).email == "zw@yunqi.cn"
    assert Activity.objects.get(pk=follow_up.pk).contact_id == survivor.pk
    assert Lead.objects.get(pk=lead.pk).converted_contact_id == survivor.pk


def test_a_lead_merge_keeps_the_chosen_company(org: Org) -> None:
    # given two leads of one person
    survivor = a_lead(org.rep_a1, name="王建国", company_name="", mobile="13912345678")
    loser = a_lead(org.rep_a1, name="王建国", company_name="杭州云栖智能制造有限公司", mobile="13912345678")
    survivor_version = Lead.objects.get(pk=survivor.pk).version
    loser_version = Lead.objects.get(pk=loser.pk).version

    # when they are merged keeping the second's company
    records_merge(
        actor=org.actor(org.rep_a1),
        object_type="leads",
        survivor_id=survivor.pk,
        loser_id=loser.pk,
        survivor_version=survivor_version,
        loser_version=loser_version,
        keep_from_loser={"company_name"},
    )

    # then the survivor has the company and its key, the other lead is in the recycle bin
    kept = Lead.objects.get(pk=survivor.pk)
    assert (kept.company_name, kept.name_key) == ("杭州云栖智能制造有限公司", "云栖")
    assert not Lead.objects.filter(pk=loser.pk).exists()


def test_the_merge_screen_defaults_to_the_non_empty_newer_value(org: Org) -> None:
    # given an older customer without a phone and a newer one with a phone and no industry
    older = a_customer(org.rep_a1, name="上海华信科技有限公司", phone="", industry="软件")
    newer = a_customer(org.rep_a1, name="华信科技", phone="021-61234567", industry="")

    # when the merge screen compares them
    rows = {row.name: row for row in field_choices(older, newer, "customers")}

    # then the newer non-empty value is chosen, and an empty one never wins
    assert rows["phone"].default == "loser"
    assert rows["name"].default == "loser"
    assert rows["industry"].default == "survivor"
