"""Deleted deals in the recycle bin: listed for those who may see them, restored by those who may change them."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.core.actors import system_actor
from crm.deals.models import Deal
from crm.deals.services import deal_delete
from crm.deals.tests.factories import a_deal

pytestmark = pytest.mark.django_db


def login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def deleted_deal(org: Org, name: str = "智慧园区二期") -> Deal:
    deal = a_deal(org.rep_a1, name=name)
    return deal_delete(actor=org.actor(org.rep_a1), deal_id=deal.pk)


def test_a_deleted_deal_is_in_its_owners_recycle_bin_and_nobody_elses(org: Org) -> None:
    deal = deleted_deal(org)
    mine = login(org.rep_a1).get("/trash/").content.decode()
    assert "智慧园区二期" in mine
    assert f"/deals/{deal.pk}/restore/" in mine
    assert "智慧园区二期" not in login(org.rep_b1).get("/trash/").content.decode()


def test_restoring_brings_the_deal_back_and_is_audited(org: Org) -> None:
    deal = deleted_deal(org)
    response = login(org.rep_a1).post(f"/deals/{deal.pk}/restore/")
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{deal.pk}/"
    assert Deal.objects.filter(pk=deal.pk).exists()
    entry = AuditEntry.objects.get(verb=Verb.RESTORE, target_type="deals.deal", target_id=deal.pk)
    assert entry.actor_id == org.rep_a1.pk


def test_someone_who_cannot_see_the_deal_gets_a_404_and_it_stays_deleted(org: Org) -> None:
    deal = deleted_deal(org)
    assert login(org.rep_b1).post(f"/deals/{deal.pk}/restore/").status_code == 404
    assert not Deal.objects.filter(pk=deal.pk).exists()


def test_someone_who_sees_but_may_not_change_it_is_refused_and_it_stays_deleted(org: Org) -> None:
    deal = deleted_deal(org)
    response = login(org.finance).post(f"/deals/{deal.pk}/restore/", follow=True)
    assert response.redirect_chain[-1][0] == "/trash/"
    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert not AuditEntry.objects.filter(verb=Verb.RESTORE, target_type="deals.deal").exists()


def test_restoring_a_live_deal_is_not_found(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    assert login(org.rep_a1).post(f"/deals/{deal.pk}/restore/").status_code == 404


def test_the_recycle_bin_costs_the_same_queries_however_many_deals_are_deleted(
    org: Org, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = login(org.director)
    deleted_deal(org, "第一个商机")
    client.get("/trash/")
    with django_assert_num_queries(6) as few:
        client.get("/trash/")
    for number in range(10):
        deal = a_deal(org.rep_a2, name=f"已删商机{number}")
        deal_delete(actor=system_actor("test"), deal_id=deal.pk)
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get("/trash/").content.decode()
    assert html.count('data-testid="restore-deal-') == 11
