"""Every read of leads, through the visibility rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from crm.access.visibility import require_visible, visible
from crm.core.actors import Actor
from crm.core.clock import day_start
from crm.core.pagination import Page, paginate
from crm.core.search import search_filter
from crm.customers.selectors import DEFAULT_SORT, SORTS
from crm.identity.selectors import team_subtree_ids
from crm.leads.models import Lead

EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class LeadFilters:
    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    status: str = ""
    channel: str = ""
    campaign: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    sort: str = DEFAULT_SORT
    deleted: bool = False

    def as_params(self) -> dict[str, Any]:
        """The non-empty filters, for audit entries and links."""
        return {key: str(value) for key, value in self.__dict__.items() if value not in (None, "", False)}


def lead_list(*, viewer: Actor, filters: LeadFilters) -> QuerySet[Lead]:
    """Leads `viewer` may see that match `filters` (unordered; paginate or export it)."""
    manager = Lead.all_objects if filters.deleted else Lead.objects
    leads = visible(viewer, manager.all())
    if filters.deleted:
        leads = leads.filter(deleted_at__isnull=False)
    if filters.owner_id:
        leads = leads.filter(owner_id=filters.owner_id)
    if filters.team_id:
        leads = leads.filter(team_id__in=team_subtree_ids(filters.team_id))
    if filters.status:
        leads = leads.filter(status=filters.status)
    if filters.channel:
        leads = leads.filter(channel=filters.channel)
    if filters.campaign:
        leads = leads.filter(campaign=filters.campaign)
    if filters.created_from:
        leads = leads.filter(created_at__gte=day_start(filters.created_from))
    if filters.created_to:
        leads = leads.filter(created_at__lt=day_start(filters.created_to + dt.timedelta(days=1)))
    if filters.q:
        leads = search_filter(leads, filters.q)
    return leads.select_related("owner", "team")


def lead_page(*, viewer: Actor, filters: LeadFilters, cursor: str | None, size: int) -> Page[Lead]:
    leads = lead_list(viewer=viewer, filters=filters)
    return paginate(leads, sort=SORTS.get(filters.sort, SORTS[DEFAULT_SORT]), cursor=cursor, size=size)


def lead_export_rows(*, viewer: Actor, filters: LeadFilters) -> Iterator[Lead]:
    """Every matching lead in list order, in chunks, capped at EXPORT_LIMIT."""
    sort = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    prefix = "-" if sort.descending else ""
    leads = lead_list(viewer=viewer, filters=filters).order_by(f"{prefix}{sort.field}", f"{prefix}id")
    yield from leads[:EXPORT_LIMIT].iterator(chunk_size=2000)


def lead_get(*, viewer: Actor, lead_id: int, include_deleted: bool = False) -> Lead:
    """One lead `viewer` may see, or NotFound (also when it exists but is hidden)."""
    manager = Lead.all_objects if include_deleted else Lead.objects
    lead = manager.select_related("owner", "team", "converted_customer", "converted_contact").filter(pk=lead_id).first()
    return require_visible(viewer, lead)
