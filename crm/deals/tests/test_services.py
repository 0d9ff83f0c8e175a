"""Deal writes: create validation, collaborators, checklist ticks, bulk hand-over."""

from __future__ import annotations

import pytest

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.core.errors import ValidationFailed
from crm.customers.tests.factories import a_customer
from crm.deals.models import ChecklistTick, Deal
from crm.deals.services import checklist_tick, deal_bulk_change_owner, deal_create, deal_delete, deal_restore
from crm.deals.tests.factories import a_deal, stage_named


def test_create_names_every_bad_field(org: Org) -> None:
    customer = a_customer(org.rep_a1)
    with pytest.raises(ValidationFailed) as refused:
        deal_create(
            actor=org.actor(org.rep_a1),
            values={"name": "", "customer_id": customer.pk, "amount": "abc", "currency": "人民币", "probability": 120},
        )
    assert [e.field for e in refused.value.errors] == ["name", "amount", "currency", "probability"]


def test_create_refuses_a_customer_the_rep_cannot_see(org: Org) -> None:
    hidden = a_customer(org.rep_n1, name="北京华信科技有限公司")
    with pytest.raises(ValidationFailed) as refused:
        deal_create(actor=org.actor(org.rep_a1), values={"name": "项目", "customer_id": hidden.pk})
    assert [e.field for e in refused.value.errors] == ["customer"]


def test_create_audits_and_starts_the_history(org: Org) -> None:
    deal = a_deal(org.rep_a1, amount="88000")
    entry = AuditEntry.objects.get(target_type="deals.deal", target_id=deal.pk, verb=Verb.CREATE)
    assert entry.changes["amount"] == [None, "88000.00"]
    assert entry.changes["stage"] == [None, stage_named("初步沟通").pk]
    assert [c.to_stage.name for c in deal.stage_changes.all()] == ["初步沟通"]


def test_checklist_tick_and_untick(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    item = stage_named("需求确认").checklist.first()
    assert item is not None
    assert checklist_tick(actor=org.actor(org.rep_a1), deal_id=deal.pk, item_id=item.pk, ticked=True) is True
    assert checklist_tick(actor=org.actor(org.rep_a1), deal_id=deal.pk, item_id=item.pk, ticked=True) is False
    assert checklist_tick(actor=org.actor(org.rep_a1), deal_id=deal.pk, item_id=item.pk, ticked=False) is True
    assert ChecklistTick.objects.filter(deal=deal).count() == 0


def test_delete_and_restore(org: Org) -> None:
    deal = a_deal(org.rep_a1)
    deal_delete(actor=org.actor(org.rep_a1), deal_id=deal.pk)
    assert not Deal.objects.filter(pk=deal.pk).exists()
    deal_restore(actor=org.actor(org.rep_a1), deal_id=deal.pk)
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_bulk_hand_over_skips_deals_the_manager_may_not_change(org: Org) -> None:
    # given two deals of the manager's team and one from another region
    mine = [a_deal(org.rep_a1), a_deal(org.rep_a2)]
    other = a_deal(org.rep_n1)

    # when the team manager hands all three to rep_a2
    changed, skipped = deal_bulk_change_owner(
        actor=org.actor(org.east_a_manager), deal_ids=[d.pk for d in [*mine, other]], owner_id=org.rep_a2.pk
    )

    # then the visible one not yet owned by rep_a2 moved, the other region's was skipped
    assert (changed, skipped) == (1, 1)
    assert set(Deal.objects.filter(owner=org.rep_a2).values_list("pk", flat=True)) == {d.pk for d in mine}
    assert Deal.objects.get(pk=other.pk).owner == org.rep_n1


def test_create_refuses_a_source_lead_that_does_not_exist(org: Org) -> None:
    customer = a_customer(org.rep_a1)
    with pytest.raises(ValidationFailed) as refused:
        deal_create(
            actor=org.actor(org.rep_a1), values={"name": "项目", "customer_id": customer.pk, "source_lead_id": 999999}
        )
    assert [e.field for e in refused.value.errors] == ["source_lead"]
