"""Duplicate screens: the form panel, the live check, the API's 409, the scan page and the merge screen."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from django.utils import timezone

from conftest import Org
from crm.core.actors import api_actor
from crm.customers.models import Customer, DismissedPair, DuplicatePolicy, Merge
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.models import User
from crm.identity.services import token_create
from crm.notifications.models import Notification

BYTEDANCE = "北京字节跳动科技有限公司"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def customer_form(**values: Any) -> dict[str, Any]:
    data = {"name": "字节跳动（北京）科技有限公司", "lifecycle_stage": "prospect", "revenue_currency": "CNY"}
    data.update(values)
    return data


def test_the_create_form_shows_the_candidates_and_saves_when_confirmed(org: Org) -> None:
    # given a customer of the rep
    existing = a_customer(org.rep_a1, name=BYTEDANCE)
    client = signed_in(org.rep_a1)

    # when the rep sends the same company spelled differently
    refused = client.post("/customers/new/", customer_form(owner_id=str(org.rep_a1.pk)))

    # then the form comes back with the candidate, its score and reason, and a "save anyway" box
    body = refused.content.decode()
    assert refused.status_code == 200
    assert f'href="/customers/{existing.pk}/"' in body
    assert "公司名称相近 字节跳动科技" in body
    assert 'name="allow_duplicates"' in body
    assert Customer.objects.count() == 1

    # when the box is ticked, the customer is saved
    saved = client.post("/customers/new/", customer_form(owner_id=str(org.rep_a1.pk), allow_duplicates="1"))
    assert saved.status_code == 302
    assert Customer.objects.count() == 2


def test_the_edit_form_offers_to_merge_with_the_candidate(org: Org) -> None:
    # given two customers of the rep
    existing = a_customer(org.rep_a1, name=BYTEDANCE)
    edited = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司")

    # when the second is renamed to the first
    response = signed_in(org.rep_a1).post(
        f"/customers/{edited.pk}/edit/", customer_form(owner_id=str(org.rep_a1.pk), version="1")
    )

    # then the panel links to the merge screen of the two
    assert f'href="/customers/duplicates/merge/customers/{edited.pk}/{existing.pk}/"' in response.content.decode()


def test_the_live_check_shows_masked_candidates_and_tells_nobody(org: Org) -> None:
    # given a customer of a rep in another team
    hidden = a_customer(org.rep_n1, name=BYTEDANCE, phone="010-62345678")

    # when a rep types its phone into the form
    response = signed_in(org.rep_a1).post(
        "/customers/duplicates/check/customers/", {"name": "新客户", "phone": "010 6234 5678"}
    )

    # then only the owner and since when are shown, and the owner is not notified for typing
    body = response.content.decode()
    assert 'data-testid="masked-candidate"' in body
    assert "刘洋" in body
    assert timezone.localdate(hidden.created_at).isoformat() in body
    assert BYTEDANCE not in body
    assert f"/customers/{hidden.pk}/" not in body
    assert Notification.objects.count() == 0


def test_a_new_contact_can_be_linked_to_the_matching_customer(org: Org) -> None:
    # given a customer with a phone
    customer = a_customer(org.rep_a1, name=BYTEDANCE, phone="13800138000")

    # when a contact with that number is checked as a new contact
    response = signed_in(org.rep_a1).post(
        "/customers/duplicates/check/contacts/", {"name": "张伟", "mobile": "13800138000"}
    )

    # then the panel offers to link the contact to that customer
    assert f'name="customer_id" value="{customer.pk}"' in response.content.decode()


def test_the_api_answers_409_with_the_candidates_and_accepts_the_confirmation(org: Org) -> None:
    # given a contact and a rep with a token
    existing = a_contact(org.rep_a1, name="张伟", mobile="13812345678")
    _token, secret = token_create(actor=api_actor(org.rep_a1), name="tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    payload = json.dumps({"name": "张伟", "mobile": "+86 138 1234 5678"})

    # when the same person is sent
    refused = client.post("/api/v1/contacts", payload, content_type="application/json")

    # then it is a 409 in the one error shape, with the candidate
    body = refused.json()
    assert refused.status_code == 409
    assert (body["code"], body["errors"]) == ("duplicate", [])
    assert [(c["object_type"], c["id"], c["score"]) for c in body["candidates"]] == [("contacts", existing.pk, 85)]

    # and confirming creates it
    confirmed = client.post("/api/v1/contacts?allow_duplicates=true", payload, content_type="application/json")
    assert confirmed.status_code == 201


def test_the_policy_screen_is_for_administrators(org: Org) -> None:
    # a rep is refused
    assert signed_in(org.rep_a1).get("/customers/duplicates/settings/").status_code == 403

    # an administrator sets leads to block
    response = signed_in(org.admin).post(
        "/customers/duplicates/settings/", {"leads": "block", "customers": "warn", "contacts": "allow"}
    )
    assert response.status_code == 302
    assert dict(DuplicatePolicy.objects.values_list("object_type", "mode")) == {
        "leads": "block",
        "customers": "warn",
        "contacts": "allow",
    }


def test_the_scan_page_lists_pairs_and_forgets_a_dismissed_one(org: Org) -> None:
    # given two pairs of duplicate customers in the manager's team
    first = a_customer(org.rep_a1, name=BYTEDANCE, phone="010-62345678")
    second = a_customer(org.rep_a2, name="字节跳动(北京)科技有限公司", phone="01062345678")
    a_customer(org.rep_n1, name="北京字节跳动科技有限公司", phone="010-62345678")  # another team: not scanned
    client = signed_in(org.east_a_manager)

    # when the team manager scans customers
    client.post("/customers/duplicates/", {"object": "customers"})
    page = client.get("/customers/duplicates/?object=customers").content.decode()

    # then the one visible pair is listed with both ids and the reasons
    assert page.count('data-testid="scan-pair"') == 1
    assert f"#{first.pk}" in page
    assert f"#{second.pk}" in page
    assert "电话相同 +861062345678" in page

    # when it is dismissed, it is gone and the next scan does not bring it back
    client.post("/customers/duplicates/dismiss/", {"object": "customers", "left_id": second.pk, "right_id": first.pk})
    assert DismissedPair.objects.filter(left_id=first.pk, right_id=second.pk).exists()
    assert 'data-testid="scan-pair"' not in client.get("/customers/duplicates/?object=customers").content.decode()
    client.post("/customers/duplicates/", {"object": "customers"})
    assert 'data-testid="scan-pair"' not in client.get("/customers/duplicates/?object=customers").content.decode()


def test_a_rep_cannot_open_the_scan_page(org: Org) -> None:
    assert signed_in(org.rep_a1).get("/customers/duplicates/").status_code == 403


def test_the_merge_screen_merges_with_the_chosen_values_and_undo_restores(org: Org) -> None:
    # given two customers of the rep
    kept = a_customer(org.rep_a1, name=BYTEDANCE, phone="")
    other = a_customer(org.rep_a1, name="字节跳动科技", phone="010-62345678")
    client = signed_in(org.rep_a1)
    url = f"/customers/duplicates/merge/customers/{kept.pk}/{other.pk}/"

    # when the screen is opened, the newer non-empty phone is preselected
    screen = client.get(url).content.decode()
    assert 'name="keep_phone" value="loser" checked' in screen

    # when the merge is sent keeping the first name
    done = client.post(
        url, {"survivor_version": "1", "loser_version": "1", "keep_name": "survivor", "keep_phone": "loser"}
    )

    # then the kept customer has the phone and the other is in the recycle bin
    merge = Merge.objects.get()
    assert done.status_code == 302
    assert done["Location"] == f"/customers/duplicates/merges/{merge.pk}/"
    assert Customer.objects.get(pk=kept.pk).phone == "+861062345678"
    assert Customer.objects.get(pk=kept.pk).name == BYTEDANCE
    assert not Customer.objects.filter(pk=other.pk).exists()

    # when it is undone, both are back as they were
    client.post(f"/customers/duplicates/merges/{merge.pk}/undo/")
    assert Customer.objects.get(pk=kept.pk).phone == ""
    assert Customer.objects.filter(pk=other.pk).exists()


def test_a_stale_merge_screen_shows_the_conflict(org: Org) -> None:
    # given two customers, one changed after the screen was opened
    kept = a_customer(org.rep_a1, name=BYTEDANCE)
    other = a_customer(org.rep_a1, name="字节跳动科技")
    Customer.objects.filter(pk=other.pk).update(version=2)

    # when the merge is sent with the old version
    response = signed_in(org.rep_a1).post(
        f"/customers/duplicates/merge/customers/{kept.pk}/{other.pk}/", {"survivor_version": "1", "loser_version": "1"}
    )

    # then nothing is merged and the conflict is shown
    assert response.status_code == 409
    assert 'data-testid="merge-error"' in response.content.decode()
    assert Merge.objects.count() == 0
