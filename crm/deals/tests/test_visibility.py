"""Who sees and changes a deal: the owner/team rule plus collaborators; hidden deals are 404."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD, Org
from crm.core.errors import NotFound, PermissionDenied
from crm.deals.selectors import DealFilters, deal_get, deal_list
from crm.deals.services import deal_update
from crm.deals.tests.factories import a_deal


@pytest.mark.parametrize(
    ("viewer", "sees", "changes"),
    [
        ("rep_a1", True, True),  # owner
        ("rep_a2", False, False),  # same team, own-records role
        ("east_a_manager", True, True),  # the owner's team manager
        ("east_manager", True, True),  # manager of the parent department
        ("rep_b1", True, True),  # collaborator in another team
        ("rep_n1", False, False),  # another region
        ("director", True, True),
        ("admin", True, True),
    ],
)
def test_permission_matrix(org: Org, viewer: str, sees: bool, changes: bool) -> None:
    # given a deal of rep_a1 shared with rep_b1
    deal = a_deal(org.rep_a1, collaborator_ids=[org.rep_b1.pk])
    actor = org.actor(getattr(org, viewer))

    # then the list, the detail and the change agree
    listed = list(deal_list(viewer=actor, filters=DealFilters()).values_list("pk", flat=True))
    assert listed == ([deal.pk] if sees else [])
    if not sees:
        with pytest.raises(NotFound):
            deal_get(viewer=actor, deal_id=deal.pk)
        return
    assert deal_get(viewer=actor, deal_id=deal.pk).pk == deal.pk
    if changes:
        deal_update(actor=actor, deal_id=deal.pk, version=deal.version, values={"notes": viewer})
    else:
        with pytest.raises(PermissionDenied):
            deal_update(actor=actor, deal_id=deal.pk, version=deal.version, values={"notes": viewer})


def test_a_deal_with_several_collaborators_is_listed_once(org: Org) -> None:
    deal = a_deal(org.rep_a1, collaborator_ids=[org.rep_b1.pk, org.rep_n1.pk, org.rep_a2.pk])
    listed = list(deal_list(viewer=org.actor(org.admin), filters=DealFilters()).values_list("pk", flat=True))
    assert listed == [deal.pk]


def test_a_hidden_deal_page_is_404(org: Org, client: Client) -> None:
    deal = a_deal(org.rep_a1)
    client.login(username="rep_n1", password=PASSWORD)
    assert client.get(f"/deals/{deal.pk}/").status_code == 404
    assert client.post(f"/deals/{deal.pk}/move/", {"version": 1, "stage_id": 1}).status_code == 404
