"""Capturing many leads at once (imports): the rows as one-by-one capture would write them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import Org
from crm.core.actors import Actor, Source
from crm.leads.models import Lead
from crm.leads.services import lead_create_many


def test_leads_created_in_bulk_get_their_own_defaults_owner_and_values(org: Org) -> None:
    # given two drafts that leave the raw submission and most fields out, one naming another owner
    actor = Actor(user=org.east_a_manager, source=Source.IMPORT)
    drafts = [
        {"name": "王建国", "company_name": "杭州云栖智能制造有限公司", "mobile": "+8613912345678",
         "annual_revenue": Decimal("120.00"), "owner_id": org.rep_a1.pk},
        {"name": "Alice Chen", "external_id": "OLD-2", "owner_id": org.east_a_manager.pk},
    ]  # fmt: skip

    # when they are captured in bulk, keeping the owners given
    first, second = lead_create_many(actor=actor, drafts=drafts, assign=False)

    # then each lead has the drafted values, its owner and team, and defaults of its own
    assert (first.owner_id, first.team_id, second.owner_id) == (
        org.rep_a1.pk,
        org.rep_a1.team_id,
        org.east_a_manager.pk,
    )
    assert first.raw_submission == second.raw_submission == {}
    assert first.raw_submission is not second.raw_submission
    assert (first.title, first.channel, first.status, second.external_id) == ("", "import", "new", "OLD-2")
    stored = Lead.objects.get(pk=first.pk)
    assert (stored.name, stored.mobile, stored.annual_revenue) == ("王建国", "+8613912345678", Decimal("120.00"))
    assert stored.created_at == stored.updated_at == first.created_at
    # and their owners are at hand without another query
    with CaptureQueriesContext(connection) as queries:
        assert (first.owner, second.owner) == (org.rep_a1, org.east_a_manager)
    assert len(queries) == 0


def test_a_draft_with_a_field_leads_lack_is_refused(org: Org) -> None:
    # when a draft names a field a lead does not have / then nothing is created
    with pytest.raises(TypeError):
        lead_create_many(
            actor=org.actor(org.rep_a1), drafts=[{"name": "张伟", "colour": "red", "owner_id": org.rep_a1.pk}]
        )
    assert not Lead.objects.exists()
