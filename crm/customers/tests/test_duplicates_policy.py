"""The duplicate policy (block / warn / allow) on every create and edit, and collision notices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone, translation

from conftest import Org
from crm.customers.duplicates.check import DuplicatesFound, policies
from crm.customers.models import Customer, DuplicateMode, DuplicatePolicy
from crm.customers.services import contact_create, contact_update, customer_create, customer_update
from crm.customers.tests.factories import a_contact, a_customer
from crm.notifications.models import Notification, NotificationKind


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Reasons are asserted in English here; rendering them in Chinese is tested in test_duplicates_reasons."""
    with translation.override("en"):
        yield


BYTEDANCE = "北京字节跳动科技有限公司"


def set_policy(object_type: str, mode: str) -> None:
    DuplicatePolicy.objects.update_or_create(object_type=object_type, defaults={"mode": mode})


def test_the_default_policy_is_warn_for_every_object(db: None) -> None:
    assert policies() == {"leads": "warn", "customers": "warn", "contacts": "warn"}


def test_warn_refuses_a_likely_duplicate_until_confirmed(org: Org) -> None:
    # given a customer of the rep
    existing = a_customer(org.rep_a1, name=BYTEDANCE, phone="010-62345678")
    actor = org.actor(org.rep_a1)

    # when the rep enters the same company spelled differently
    with pytest.raises(DuplicatesFound) as refused:
        customer_create(actor=actor, values={"name": "字节跳动（北京）科技有限公司"})

    # then nothing is saved and the candidate is listed with its score and reasons
    assert refused.value.code == "duplicate"
    assert refused.value.http_status == 409
    assert refused.value.extra["can_override"] is True
    [candidate] = refused.value.extra["candidates"]
    assert (candidate["object_type"], candidate["id"], candidate["score"], candidate["reasons"]) == (
        "customers",
        existing.pk,
        50,
        ["company name ~ 字节跳动科技"],
    )
    assert Customer.objects.count() == 1

    # when the rep confirms
    created = customer_create(actor=actor, values={"name": "字节跳动（北京）科技有限公司"}, allow_duplicates=True)

    # then it is saved
    assert Customer.objects.filter(pk=created.pk).exists()


def test_block_refuses_even_when_confirmed(org: Org) -> None:
    # given the customer policy is block
    set_policy("customers", DuplicateMode.BLOCK)
    a_customer(org.rep_a1, name="上海华信科技有限公司", credit_code="91350100M000100Y43")

    # when a rep confirms a customer with the same credit code
    with pytest.raises(DuplicatesFound) as refused:
        customer_create(
            actor=org.actor(org.rep_a1),
            values={"name": "华信科技", "credit_code": "91350100M000100Y43"},
            allow_duplicates=True,
        )

    # then it is refused and cannot be overridden
    assert refused.value.extra["can_override"] is False
    assert Customer.objects.count() == 1


def test_allow_skips_the_check(org: Org) -> None:
    # given the contact policy is allow and a contact with a mobile number
    set_policy("contacts", DuplicateMode.ALLOW)
    a_contact(org.rep_a1, name="张伟", mobile="13812345678")

    # when another contact with the same name and mobile is entered
    contact = contact_create(actor=org.actor(org.rep_a1), values={"name": "张伟", "mobile": "138 1234 5678"})

    # then it is saved without a question
    assert contact.pk is not None


def test_a_contact_with_a_known_mobile_is_warned(org: Org) -> None:
    # given a contact
    existing = a_contact(org.rep_a1, name="Zhang Wei", mobile="13812345678", email="")

    # when a contact with the name in the other order and the same mobile is entered
    with pytest.raises(DuplicatesFound) as refused:
        contact_create(actor=org.actor(org.rep_a1), values={"name": "WEI ZHANG", "mobile": "+86 138-1234-5678"})

    # then the existing contact is the candidate, for both reasons
    [candidate] = refused.value.extra["candidates"]
    assert (candidate["id"], candidate["score"], candidate["reasons"]) == (
        existing.pk,
        85,
        ["same phone +8613812345678", "same name WEI ZHANG"],
    )


def test_an_edit_is_checked_only_when_it_changes_a_compared_field(org: Org) -> None:
    # given two customers of the rep
    a_customer(org.rep_a1, name="上海华信科技有限公司", phone="021-61234567")
    other = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")
    actor = org.actor(org.rep_a1)

    # when only the notes change, the edit is saved
    other = customer_update(actor=actor, customer_id=other.pk, version=other.version, values={"notes": "年会客户"})

    # then giving it the other's phone is refused until confirmed
    with pytest.raises(DuplicatesFound):
        customer_update(actor=actor, customer_id=other.pk, version=other.version, values={"phone": "021-61234567"})
    updated = customer_update(
        actor=actor,
        customer_id=other.pk,
        version=other.version,
        values={"phone": "021-61234567"},
        allow_duplicates=True,
    )
    assert updated.phone == "+862161234567"


def test_an_edit_does_not_find_the_record_itself(org: Org) -> None:
    # given a contact
    contact = a_contact(org.rep_a1, name="李娜", mobile="13900001111")

    # when its own mobile is re-typed in another format
    updated = contact_update(
        actor=org.actor(org.rep_a1),
        contact_id=contact.pk,
        version=contact.version,
        values={"name": "李 娜", "mobile": "139-0000-1111"},
    )

    # then it is saved
    assert updated.name == "李 娜"


def test_a_hidden_match_is_masked_and_its_owner_told_once_per_attempt(org: Org) -> None:
    # given a customer of a rep in another team
    hidden = a_customer(org.rep_n1, name=BYTEDANCE, phone="010-62345678")
    actor = org.actor(org.rep_a1)

    # when a rep who cannot see it enters it, is warned, and confirms
    with pytest.raises(DuplicatesFound) as refused:
        customer_create(actor=actor, values={"name": "字节跳动(北京)科技有限公司", "phone": "01062345678"})
    customer_create(
        actor=actor, values={"name": "字节跳动(北京)科技有限公司", "phone": "01062345678"}, allow_duplicates=True
    )

    # then the rep sees only the owner and since when
    [candidate] = refused.value.extra["candidates"]
    assert candidate == {
        "object_type": "customers",
        "id": None,
        "external_id": None,
        "name": "",
        "score": 100,
        "reasons": [],
        "visible": False,
        "owner": "刘洋",
        "owner_since": timezone.localdate(hidden.created_at).isoformat(),
    }
    # and the owner gets one notice for the one attempt, in their language
    [notice] = Notification.objects.filter(recipient=org.rep_n1)
    assert notice.kind == NotificationKind.DUPLICATE_COLLISION
    assert (notice.target_type, notice.target_id) == ("customers.customer", hidden.pk)
    assert notice.url == f"/customers/{hidden.pk}/"
    assert notice.title.startswith("张伟")
    assert BYTEDANCE in notice.title


def test_the_rep_is_not_told_about_their_own_records(org: Org) -> None:
    # given the rep's own customer
    a_customer(org.rep_a1, name=BYTEDANCE)

    # when the rep enters it again and confirms
    customer_create(actor=org.actor(org.rep_a1), values={"name": BYTEDANCE}, allow_duplicates=True)

    # then nobody is notified
    assert Notification.objects.count() == 0
