import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.core.actors import web_actor
from crm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.customers.models import Contact, Customer, Tag
from crm.customers.selectors import CustomerFilters, customer_get, customer_list
from crm.customers.services import (
    contact_create,
    contact_update,
    customer_create,
    customer_delete,
    customer_restore,
    customer_update,
    export_record,
)
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.models import BuiltinRole, Role, User
from crm.identity.services import role_update, user_set_active

MOMENT = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)


def _masking_manager(org: Org) -> User:
    """east_a_manager after their role was set to mask contact details of records they do not own."""
    role_update(
        actor=org.actor(org.admin),
        role_id=Role.objects.get(code=BuiltinRole.SALES_MANAGER).pk,
        masks_contact_info=True,
    )
    return User.objects.select_related("role").get(pk=org.east_a_manager.pk)


def test_customer_create_cleans_and_stores_every_field(org: Org) -> None:
    # given a rep filling in every field, some of them sloppily
    values = {
        "name": "  上海华信科技有限公司 ",
        "credit_code": "9111 0000 6000 3734 1l",
        "grade": "A",
        "tags": ["重点", "华东", " 重点 "],
        "industry": "软件与信息服务",
        "province": "上海市",
        "city": "上海市",
        "district": "浦东新区",
        "street": "张江路 88 号",
        "postcode": "201203",
        "size": "101-500",
        "annual_revenue": "12,000,000.5",
        "revenue_currency": "usd",
        "website": "www.huaxin.cn",
        "phone": "021-6234 5678",
        "email": "Sales@HuaXin.cn",
        "source": "referral",
        "lifecycle_stage": "qualified",
        "notes": "老客户介绍",
        "external_id": "ERP-001",
    }

    # when the customer is created
    customer = customer_create(actor=org.actor(org.rep_a1), values=values)

    # then every field is stored in its clean form, owned by the rep and their team
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.name == "上海华信科技有限公司"
    assert customer.credit_code == "91110000600037341L"
    assert customer.grade == "A"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["华东", "重点"]
    assert customer.industry == "软件与信息服务"
    assert customer.region == "上海市 上海市 浦东新区"
    assert customer.street == "张江路 88 号"
    assert customer.postcode == "201203"
    assert customer.size == "101-500"
    assert customer.annual_revenue == Decimal("12000000.50")
    assert customer.revenue_currency == "USD"
    assert customer.website == "https://www.huaxin.cn"
    assert customer.phone == "+862162345678"
    assert customer.email == "sales@huaxin.cn"
    assert customer.source == "referral"
    assert customer.lifecycle_stage == "qualified"
    assert customer.notes == "老客户介绍"
    assert customer.external_id == "ERP-001"
    assert customer.owner_id == org.rep_a1.pk
    assert customer.team_id == org.east_a.pk
    assert customer.version == 1
    assert customer.search_text == (
        "上海华信科技有限公司 shanghaihuaxinkejiyouxiangongsi shhxkjyxgs 862162345678 02162345678 "
        "sales@huaxin.cn 91110000600037341l https://www.huaxin.cn"
    )


def test_customer_create_writes_one_audit_entry_with_the_new_values(org: Org) -> None:
    # given a rep
    actor = org.actor(org.rep_a1)

    # when they create a customer with tags
    customer = customer_create(actor=actor, values={"name": "杭州云栖数据有限公司", "grade": "B", "tags": ["华东"]})

    # then one "create" entry records who did it and the values set
    entry = AuditEntry.objects.get()
    assert entry.verb == Verb.CREATE
    assert entry.actor_id == org.rep_a1.pk
    assert entry.source == "web"
    assert entry.target_type == "customers.customer"
    assert entry.target_id == customer.pk
    assert entry.target_version == 1
    assert entry.changes["name"] == [None, "杭州云栖数据有限公司"]
    assert entry.changes["grade"] == [None, "B"]
    assert entry.changes["owner"] == [None, org.rep_a1.pk]
    assert entry.changes["tags"] == [None, ["华东"]]


def test_customer_create_collects_every_bad_field_and_writes_nothing(org: Org) -> None:
    # given input with five mistakes at once
    values = {
        "name": "   ",
        "email": "sales@",
        "phone": "12345",
        "credit_code": "91110000600037341A",
        "annual_revenue": "-100",
    }

    # when a customer is created from it
    with pytest.raises(ValidationFailed) as caught:
        customer_create(actor=org.actor(org.rep_a1), values=values)

    # then all five fields are named in one refusal and nothing is stored
    assert [error.field for error in caught.value.errors] == ["name", "email", "phone", "credit_code", "annual_revenue"]
    assert Customer.all_objects.count() == 0
    assert Tag.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_customer_create_requires_a_name_even_when_the_key_is_missing(org: Org) -> None:
    # given input without a name at all
    # when a customer is created from it
    with pytest.raises(ValidationFailed) as caught:
        customer_create(actor=org.actor(org.rep_a1), values={"grade": "A"})

    # then the name is named as missing
    assert [error.field for error in caught.value.errors] == ["name"]
    assert Customer.all_objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("grade", "Z"),
        ("size", "huge"),
        ("lifecycle_stage", "won"),
        ("revenue_currency", "RMB1"),
        ("website", "ftp://huaxin.cn"),
        ("annual_revenue", "abc"),
        ("annual_revenue", "1e20"),
        ("name", "长" * 201),
    ],
)
def test_customer_create_refuses_a_bad_value_naming_its_field(org: Org, field: str, value: str) -> None:
    # given a single bad value
    values = {"name": "北京恒达科技有限公司", field: value}

    # when a customer is created
    with pytest.raises(ValidationFailed) as caught:
        customer_create(actor=org.actor(org.rep_a1), values=values)

    # then the refusal names exactly that field
    assert [error.field for error in caught.value.errors] == [field]
    assert Customer.all_objects.count() == 0


def test_customer_create_refuses_an_external_id_another_customer_uses(org: Org) -> None:
    # given a customer imported with an external ID
    a_customer(org.rep_a1, external_id="ERP-001")

    # when another customer is created with the same external ID
    with pytest.raises(ValidationFailed) as caught:
        customer_create(actor=org.actor(org.rep_b1), values={"name": "杭州组客户", "external_id": "ERP-001"})

    # then it is refused on that field and only the first customer exists
    assert [error.field for error in caught.value.errors] == ["external_id"]
    assert Customer.all_objects.count() == 1


def test_customer_external_id_stays_taken_while_the_customer_is_in_the_recycle_bin(org: Org) -> None:
    # given a deleted customer with an external ID
    customer = a_customer(org.rep_a1, external_id="ERP-001")
    customer_delete(actor=org.actor(org.rep_a1), customer_id=customer.pk)

    # when a new customer claims the same external ID
    with pytest.raises(ValidationFailed) as caught:
        customer_create(actor=org.actor(org.rep_a1), values={"name": "新客户", "external_id": "ERP-001"})

    # then it is refused, so restoring the first one cannot clash
    assert [error.field for error in caught.value.errors] == ["external_id"]


def test_external_ids_are_unique_per_object_type_only(org: Org) -> None:
    # given a customer with an external ID
    customer = a_customer(org.rep_a1, external_id="ERP-001")

    # when a contact uses the same external ID
    contact = a_contact(org.rep_a1, customer, external_id="ERP-001")

    # then both exist
    assert Contact.objects.get(pk=contact.pk).external_id == "ERP-001"
    assert Customer.objects.get(pk=customer.pk).external_id == "ERP-001"


def test_customer_update_refuses_an_external_id_another_customer_uses(org: Org) -> None:
    # given two customers, one with an external ID
    a_customer(org.rep_a1, external_id="ERP-001")
    other = a_customer(org.rep_a1, name="苏州工业园区精工机械有限公司")

    # when the other one is given the same external ID
    with pytest.raises(ValidationFailed) as caught:
        customer_update(actor=org.actor(org.rep_a1), customer_id=other.pk, version=1, values={"external_id": "ERP-001"})

    # then it is refused and the other keeps none
    assert [error.field for error in caught.value.errors] == ["external_id"]
    assert Customer.objects.get(pk=other.pk).external_id is None


def test_customer_tags_are_created_once_and_shared(org: Org) -> None:
    # given a customer tagged with two new tags
    first = customer_create(actor=org.actor(org.rep_a1), values={"name": "客户甲", "tags": ["重点", "华东"]})

    # when another customer uses one of them again plus a new one
    second = customer_create(actor=org.actor(org.rep_a1), values={"name": "客户乙", "tags": ["重点", "VIP"]})

    # then three tags exist and each customer holds its own
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["VIP", "华东", "重点"]
    assert sorted(first.tags.values_list("name", flat=True)) == ["华东", "重点"]
    assert sorted(second.tags.values_list("name", flat=True)) == ["VIP", "重点"]


def test_customer_update_saves_and_audits_the_changed_fields_only(org: Org) -> None:
    # given a customer at version 1
    customer = a_customer(org.rep_a1, name="上海华信科技有限公司", grade="B", industry="软件与信息服务")

    # when its owner changes the name and grade and re-sends the industry unchanged
    customer_update(
        actor=org.actor(org.rep_a1),
        customer_id=customer.pk,
        version=1,
        values={"name": "上海华信数字科技有限公司", "grade": "A", "industry": "软件与信息服务"},
    )

    # then the row has the new values and version 2, and the entry lists old → new per changed field
    customer.refresh_from_db()
    assert (customer.name, customer.grade, customer.version) == ("上海华信数字科技有限公司", "A", 2)
    assert "shanghaihuaxinshuzi" in customer.search_text
    entry = AuditEntry.objects.filter(verb=Verb.UPDATE).get()
    assert entry.actor_id == org.rep_a1.pk
    assert entry.target_id == customer.pk
    assert entry.target_version == 2
    assert entry.changes == {"name": ["上海华信科技有限公司", "上海华信数字科技有限公司"], "grade": ["B", "A"]}


def test_customer_update_audits_tag_changes(org: Org) -> None:
    # given a tagged customer
    customer = a_customer(org.rep_a1, tags=["华东"])

    # when its tags are replaced
    customer_update(actor=org.actor(org.rep_a1), customer_id=customer.pk, version=1, values={"tags": ["重点", "VIP"]})

    # then the tags changed and the entry shows both lists
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "重点"]
    entry = AuditEntry.objects.filter(verb=Verb.UPDATE).get()
    assert entry.changes == {"tags": [["华东"], ["VIP", "重点"]]}


def test_customer_update_without_changes_writes_nothing(org: Org) -> None:
    # given a customer
    customer = a_customer(org.rep_a1, grade="B")

    # when the same values are saved again
    customer_update(actor=org.actor(org.rep_a1), customer_id=customer.pk, version=1, values={"grade": "B"})

    # then neither the version nor the audit log moves
    customer.refresh_from_db()
    assert customer.version == 1
    assert AuditEntry.objects.filter(verb=Verb.UPDATE).count() == 0


def test_second_update_from_the_same_version_is_refused_with_the_first_ones_changes(org: Org) -> None:
    # given a customer that two people opened at version 1
    customer = a_customer(org.rep_a1, name="上海华信科技有限公司", grade="B")
    with time_machine.travel(MOMENT, tick=False):
        customer_update(
            actor=org.actor(org.rep_a1), customer_id=customer.pk, version=1, values={"name": "华信一号", "grade": "A"}
        )

    # when the second one saves from the version they read
    with translation.override("en"), pytest.raises(Conflict) as caught:
        customer_update(actor=org.actor(org.east_a_manager), customer_id=customer.pk, version=1, values={"grade": "C"})

    # then it is refused, listing who changed what, and the first save stands
    assert caught.value.code == "conflict"
    assert caught.value.http_status == 409
    assert caught.value.extra["changes"] == [
        {
            "field": "name",
            "label": "Name",
            "old": "上海华信科技有限公司",
            "new": "华信一号",
            "by": "张伟",
            "at": MOMENT.isoformat(),
        },
        {
            "field": "grade",
            "label": "Grade",
            "old": "B · important",
            "new": "A · key",
            "by": "张伟",
            "at": MOMENT.isoformat(),
        },
    ]
    customer.refresh_from_db()
    assert (customer.name, customer.grade, customer.version) == ("华信一号", "A", 2)
    assert AuditEntry.objects.filter(verb=Verb.UPDATE).count() == 1


def test_conflict_masks_contact_details_the_refused_editor_sees_masked(org: Org) -> None:
    # given a manager who sees contact details masked, and the owner changing the phone meanwhile
    manager = _masking_manager(org)
    customer = a_customer(org.rep_a1, phone="13812345678")
    customer_update(actor=org.actor(org.rep_a1), customer_id=customer.pk, version=1, values={"phone": "13987654321"})

    # when the manager saves from the old version
    with translation.override("en"), pytest.raises(Conflict) as caught:
        customer_update(actor=web_actor(manager), customer_id=customer.pk, version=1, values={"grade": "A"})

    # then the phone numbers in the conflict are masked
    [change] = caught.value.extra["changes"]
    assert (change["field"], change["old"], change["new"]) == ("phone", "138****5678", "139****4321")


def test_a_deleted_customer_leaves_lists_and_comes_back_when_restored(org: Org) -> None:
    # given two customers of one rep
    kept = a_customer(org.rep_a1, name="客户甲")
    deleted = a_customer(org.rep_a1, name="客户乙")
    actor = org.actor(org.rep_a1)

    # when one is deleted
    customer_delete(actor=actor, customer_id=deleted.pk)

    # then it is only in the recycle bin, still in the table, and a detail read fails
    assert list(customer_list(viewer=actor, filters=CustomerFilters())) == [kept]
    assert list(customer_list(viewer=actor, filters=CustomerFilters(deleted=True))) == [deleted]
    assert Customer.all_objects.get(pk=deleted.pk).deleted_at is not None
    with pytest.raises(NotFound):
        customer_get(viewer=actor, customer_id=deleted.pk)

    # when it is restored
    customer_restore(actor=actor, customer_id=deleted.pk)

    # then it is listed again and both steps are audited
    assert sorted(c.pk for c in customer_list(viewer=actor, filters=CustomerFilters())) == [kept.pk, deleted.pk]
    assert list(
        AuditEntry.objects.filter(target_id=deleted.pk, target_type="customers.customer")
        .order_by("id")
        .values_list("verb", flat=True)
    ) == [Verb.CREATE, Verb.DELETE, Verb.RESTORE]


def test_a_customer_the_actor_cannot_see_cannot_be_deleted(org: Org) -> None:
    # given a customer of rep_a1
    customer = a_customer(org.rep_a1)

    # when a rep of another team tries to delete it
    with pytest.raises(NotFound):
        customer_delete(actor=org.actor(org.rep_b1), customer_id=customer.pk)

    # then it is still live
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_a_viewer_who_may_not_change_a_visible_customer_is_refused(org: Org) -> None:
    # given a customer finance can see but does not own or manage
    customer = a_customer(org.rep_a1, grade="B")

    # when finance tries to change it
    with pytest.raises(PermissionDenied):
        customer_update(actor=org.actor(org.finance), customer_id=customer.pk, version=1, values={"grade": "A"})

    # then nothing changed
    customer.refresh_from_db()
    assert (customer.grade, customer.version) == ("B", 1)


def test_a_viewer_who_sees_phone_masked_cannot_change_it(org: Org) -> None:
    # given a team manager whose role masks contact details of records they do not own
    manager = _masking_manager(org)
    customer = a_customer(org.rep_a1, phone="13812345678", email="sales@huaxin.cn")

    # when they try to overwrite the phone they cannot read
    with pytest.raises(ValidationFailed) as caught:
        customer_update(actor=web_actor(manager), customer_id=customer.pk, version=1, values={"phone": "13900001111"})

    # then it is refused on that field and nothing changed
    assert [error.field for error in caught.value.errors] == ["phone"]
    customer.refresh_from_db()
    assert (customer.phone, customer.version) == ("+8613812345678", 1)


def test_a_viewer_who_sees_contact_details_masked_may_still_change_other_fields(org: Org) -> None:
    # given a masking team manager
    manager = _masking_manager(org)
    customer = a_customer(org.rep_a1, phone="13812345678", grade="B")

    # when they change the grade and send the phone unchanged
    customer_update(
        actor=web_actor(manager), customer_id=customer.pk, version=1, values={"grade": "A", "phone": "138 1234 5678"}
    )

    # then the grade is saved and the phone kept
    customer.refresh_from_db()
    assert (customer.grade, customer.phone, customer.version) == ("A", "+8613812345678", 2)


def test_changing_the_owner_moves_the_customer_to_the_new_owners_team(org: Org) -> None:
    # given a customer of rep_a1 (team east_a)
    customer = a_customer(org.rep_a1)

    # when the east manager hands it to rep_b1 (team east_b)
    customer_update(
        actor=org.actor(org.east_manager), customer_id=customer.pk, version=1, values={"owner_id": org.rep_b1.pk}
    )

    # then owner and team follow, the change is audited, and visibility follows the new owner
    customer.refresh_from_db()
    assert (customer.owner_id, customer.team_id) == (org.rep_b1.pk, org.east_b.pk)
    entry = AuditEntry.objects.filter(verb=Verb.UPDATE).get()
    assert entry.changes == {"owner": [org.rep_a1.pk, org.rep_b1.pk]}
    assert customer_get(viewer=org.actor(org.rep_b1), customer_id=customer.pk) == customer
    with pytest.raises(NotFound):
        customer_get(viewer=org.actor(org.rep_a1), customer_id=customer.pk)


def test_an_inactive_user_cannot_become_owner(org: Org) -> None:
    # given a deactivated rep
    User.objects.filter(pk=org.rep_a2.pk).update(is_active=False)

    # when a customer is created for them
    with pytest.raises(ValidationFailed) as caught:
        customer_create(actor=org.actor(org.rep_a1), values={"name": "客户丙", "owner_id": org.rep_a2.pk})

    # then the owner field is refused
    assert [error.field for error in caught.value.errors] == ["owner"]


def test_contact_create_defaults_the_owner_to_the_customers_owner(org: Org) -> None:
    # given a customer of rep_a1
    customer = a_customer(org.rep_a1)

    # when the east manager adds a contact to it without choosing an owner
    contact = contact_create(
        actor=org.actor(org.east_manager),
        values={"name": "王磊", "customer_id": customer.pk, "mobile": "139 8765 4321"},
    )

    # then the contact belongs to the customer's owner and team
    contact.refresh_from_db()
    assert (contact.owner_id, contact.team_id, contact.customer_id) == (org.rep_a1.pk, org.east_a.pk, customer.pk)
    assert contact.mobile == "+8613987654321"


def test_contact_create_refuses_a_customer_the_actor_cannot_see(org: Org) -> None:
    # given a customer of another team
    customer = a_customer(org.rep_b1)

    # when rep_a1 adds a contact to it
    with pytest.raises(ValidationFailed) as caught:
        contact_create(actor=org.actor(org.rep_a1), values={"name": "王磊", "customer_id": customer.pk})

    # then the customer field is refused and no contact is stored
    assert [error.field for error in caught.value.errors] == ["customer"]
    assert Contact.all_objects.count() == 0


def test_contact_update_from_a_stale_version_is_refused(org: Org) -> None:
    # given a contact changed once already
    contact = a_contact(org.rep_a1, title="采购经理")
    contact_update(actor=org.actor(org.rep_a1), contact_id=contact.pk, version=1, values={"title": "采购总监"})

    # when someone saves from version 1
    with pytest.raises(Conflict):
        contact_update(actor=org.actor(org.rep_a1), contact_id=contact.pk, version=1, values={"title": "总经理"})

    # then the first change stands
    contact.refresh_from_db()
    assert (contact.title, contact.version) == ("采购总监", 2)


def test_export_record_refuses_a_role_without_export_right(org: Org) -> None:
    # given a sales rep, whose role may not export
    # when an export is recorded for them
    with pytest.raises(PermissionDenied):
        export_record(
            actor=org.actor(org.rep_a1), object_type="customers.customer", row_count=1, file_format="csv", filters={}
        )

    # then no export entry exists
    assert AuditEntry.objects.filter(verb=Verb.EXPORT).count() == 0


def test_deactivating_an_owner_keeps_their_customers_and_contacts(org: Org) -> None:
    # given a rep with a customer and a contact
    customer = a_customer(org.rep_a2)
    contact = a_contact(org.rep_a2, customer)

    # when the administrator deactivates the rep
    user_set_active(actor=org.actor(org.admin), user_id=org.rep_a2.pk, is_active=False)

    # then both records stay theirs, in their team, visible to their manager
    customer.refresh_from_db()
    contact.refresh_from_db()
    assert (customer.owner_id, customer.team_id, customer.deleted_at) == (org.rep_a2.pk, org.east_a.pk, None)
    assert (contact.owner_id, contact.team_id, contact.deleted_at) == (org.rep_a2.pk, org.east_a.pk, None)
    assert customer_get(viewer=org.actor(org.east_a_manager), customer_id=customer.pk) == customer
