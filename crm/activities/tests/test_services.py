import datetime as dt

import pytest
import time_machine

from conftest import Org
from crm.activities.models import Activity
from crm.activities.services import activity_create, activity_delete, activity_mark_done, activity_update
from crm.audit.models import AuditEntry, Verb
from crm.core.actors import system_actor
from crm.core.errors import Conflict, PermissionDenied, ValidationFailed
from crm.customers.tests.factories import a_contact, a_customer

NOW = dt.datetime(2025, 3, 12, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def test_activity_create_stores_the_follow_up_and_audits_it(org: Org) -> None:
    # given a rep's customer with a contact
    customer = a_customer(org.rep_a1)
    contact = a_contact(org.rep_a1, customer)

    # when the rep logs a visit
    with time_machine.travel(NOW, tick=False):
        activity = activity_create(
            actor=org.actor(org.rep_a1),
            values={
                "customer_id": customer.pk,
                "contact_id": contact.pk,
                "kind": "visit",
                "content": "  上门演示了二期方案  ",
                "next_step": "发报价",
                "next_contact_on": "2025-03-15",
            },
        )

    # then it is stored, logged by the rep, and one "create" entry records it
    activity.refresh_from_db()
    assert activity.customer_id == customer.pk
    assert activity.contact_id == contact.pk
    assert activity.kind == "visit"
    assert activity.content == "上门演示了二期方案"
    assert activity.occurred_at == NOW
    assert activity.next_step == "发报价"
    assert activity.next_contact_on == dt.date(2025, 3, 15)
    assert activity.is_next_contact_done is False
    assert (activity.owner_id, activity.team_id) == (org.rep_a1.pk, org.east_a.pk)
    entry = AuditEntry.objects.get(target_type="activities.activity")
    assert (entry.verb, entry.target_id, entry.actor_id) == (Verb.CREATE, activity.pk, org.rep_a1.pk)
    assert entry.changes["content"] == [None, "上门演示了二期方案"]
    assert entry.changes["customer"] == [None, customer.pk]
    assert entry.changes["next_contact_on"] == [None, "2025-03-15"]


def test_activity_create_settles_the_customers_earlier_due_next_contacts_only(org: Org) -> None:
    # given, planned a week ago, contacts due yesterday and today on one customer, one due next week,
    # and one due yesterday on another customer
    customer = a_customer(org.rep_a1, name="客户甲")
    other = a_customer(org.rep_a1, name="客户乙")
    actor = org.actor(org.rep_a1)
    with time_machine.travel(NOW - dt.timedelta(days=7), tick=False):
        overdue = activity_create(
            actor=actor, values={"customer_id": customer.pk, "content": "初次电话", "next_contact_on": "2025-03-11"}
        )
        due_today = activity_create(
            actor=actor, values={"customer_id": customer.pk, "content": "发资料", "next_contact_on": "2025-03-12"}
        )
        later = activity_create(
            actor=actor, values={"customer_id": customer.pk, "content": "约拜访", "next_contact_on": "2025-03-19"}
        )
        elsewhere = activity_create(
            actor=actor, values={"customer_id": other.pk, "content": "初次电话", "next_contact_on": "2025-03-11"}
        )

    # when a new follow-up is logged on the first customer today
    with time_machine.travel(NOW, tick=False):
        activity_create(actor=actor, values={"customer_id": customer.pk, "content": "电话跟进"})

    # then that customer's due contacts are settled; the future one and the other customer's are not
    done = dict(Activity.objects.values_list("pk", "is_next_contact_done"))
    assert done[overdue.pk] is True
    assert done[due_today.pk] is True
    assert done[later.pk] is False
    assert done[elsewhere.pk] is False


def test_a_user_who_cannot_see_the_customer_cannot_log_a_follow_up(org: Org) -> None:
    # given a customer of another team
    customer = a_customer(org.rep_b1)

    # when rep_a1 logs a follow-up on it
    with pytest.raises(ValidationFailed) as caught:
        activity_create(actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "content": "电话"})

    # then the customer field is refused and nothing is stored
    assert [error.field for error in caught.value.errors] == ["customer"]
    assert Activity.all_objects.count() == 0


@pytest.mark.parametrize("customer_id", [None, "", "abc", 999_999])
def test_a_follow_up_needs_an_existing_customer(org: Org, customer_id: object) -> None:
    # given no valid customer id
    # when a follow-up is logged
    with pytest.raises(ValidationFailed) as caught:
        activity_create(actor=org.actor(org.rep_a1), values={"customer_id": customer_id, "content": "电话"})

    # then the customer field is refused
    assert [error.field for error in caught.value.errors] == ["customer"]


def test_activity_create_collects_bad_fields(org: Org) -> None:
    # given a customer
    customer = a_customer(org.rep_a1)

    # when a follow-up is logged with an unknown type, no content, a bad date and a future time
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationFailed) as caught:
        activity_create(
            actor=org.actor(org.rep_a1),
            values={
                "customer_id": customer.pk,
                "kind": "fax",
                "content": "   ",
                "next_contact_on": "2025-02-30",
                "occurred_at": "2025-03-12T12:00:00+08:00",
            },
        )

    # then each is named and nothing is stored
    assert [error.field for error in caught.value.errors] == ["kind", "content", "next_contact_on", "occurred_at"]
    assert Activity.all_objects.count() == 0


def test_a_contact_of_another_customer_is_refused(org: Org) -> None:
    # given two customers of the rep, a contact at the second
    customer = a_customer(org.rep_a1, name="客户甲")
    contact = a_contact(org.rep_a1, a_customer(org.rep_a1, name="客户乙"))

    # when a follow-up on the first names that contact
    with pytest.raises(ValidationFailed) as caught:
        activity_create(
            actor=org.actor(org.rep_a1),
            values={"customer_id": customer.pk, "contact_id": contact.pk, "content": "电话"},
        )

    # then the contact field is refused
    assert [error.field for error in caught.value.errors] == ["contact"]


def test_a_system_actor_cannot_log_a_follow_up(org: Org) -> None:
    # given a customer
    customer = a_customer(org.rep_a1)

    # when a scheduled job tries to log a follow-up (someone must have done it)
    # then it is refused
    with pytest.raises(PermissionDenied):
        activity_create(actor=system_actor("import"), values={"customer_id": customer.pk, "content": "电话"})


def test_activity_update_from_a_stale_version_is_refused(org: Org) -> None:
    # given a follow-up edited once
    customer = a_customer(org.rep_a1)
    activity = activity_create(actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "content": "电话"})
    activity_update(actor=org.actor(org.rep_a1), activity_id=activity.pk, version=1, values={"content": "电话沟通预算"})

    # when it is saved again from version 1
    with pytest.raises(Conflict) as caught:
        activity_update(actor=org.actor(org.rep_a1), activity_id=activity.pk, version=1, values={"content": "改"})

    # then the first edit stands and the conflict lists it
    activity.refresh_from_db()
    assert (activity.content, activity.version) == ("电话沟通预算", 2)
    assert [(c["field"], c["old"], c["new"]) for c in caught.value.extra["changes"]] == [
        ("content", "电话", "电话沟通预算")
    ]


def test_only_the_author_or_someone_who_may_change_the_customer_edits_a_follow_up(org: Org) -> None:
    # given a follow-up rep_a1 logged on their customer
    customer = a_customer(org.rep_a1)
    activity = activity_create(actor=org.actor(org.rep_a1), values={"customer_id": customer.pk, "content": "电话"})

    # when finance (sees everything, changes nothing) edits it
    with pytest.raises(PermissionDenied):
        activity_update(actor=org.actor(org.finance), activity_id=activity.pk, version=1, values={"content": "改"})

    # then it is refused, while the team manager may delete it
    activity_delete(actor=org.actor(org.east_a_manager), activity_id=activity.pk)
    assert Activity.objects.filter(pk=activity.pk).exists() is False
    assert Activity.all_objects.filter(pk=activity.pk).exists() is True


def test_activity_mark_done_settles_a_planned_contact_once(org: Org) -> None:
    # given a follow-up with a planned next contact
    customer = a_customer(org.rep_a1)
    activity = activity_create(
        actor=org.actor(org.rep_a1),
        values={"customer_id": customer.pk, "content": "电话", "next_contact_on": "2099-01-01"},
    )

    # when it is marked done twice
    activity_mark_done(actor=org.actor(org.rep_a1), activity_id=activity.pk)
    activity_mark_done(actor=org.actor(org.rep_a1), activity_id=activity.pk)

    # then it is settled and audited once
    activity.refresh_from_db()
    assert activity.is_next_contact_done is True
    changes = AuditEntry.objects.filter(target_type="activities.activity", verb=Verb.UPDATE)
    assert list(changes.values_list("changes", flat=True)) == [{"is_next_contact_done": [False, True]}]
