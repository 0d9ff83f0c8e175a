"""Every read of leads, through the visibility rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from crm.access.visibility import can_see, require_visible, visible
from crm.audit.models import AuditEntry
from crm.audit.selectors import history_of
from crm.core.actors import Actor
from crm.core.clock import day_start
from crm.core.pagination import Page, SortKey, paginate
from crm.core.search import search_filter
from crm.customers.duplicates.lookup import Candidate, duplicate_candidates
from crm.customers.models import Contact, Customer
from crm.customers.selectors import DEFAULT_SORT
from crm.customers.selectors import SORTS as RECORD_SORTS
from crm.identity.selectors import team_subtree_ids
from crm.leads.models import Lead, LeadFollowUp, LeadStatus

EXPORT_LIMIT = 100_000
# Highest score first is backed by the lead_score index.
SORTS = {**RECORD_SORTS, "-score": SortKey("score", descending=True)}


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
    updated_from: dt.date | None = None
    updated_to: dt.date | None = None
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
    if filters.updated_from:
        leads = leads.filter(updated_at__gte=day_start(filters.updated_from))
    if filters.updated_to:
        leads = leads.filter(updated_at__lt=day_start(filters.updated_to + dt.timedelta(days=1)))
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


# Conversion and the customer's view of its source leads --------------------------------------


@dataclass(frozen=True)
class ConversionChoices:
    """Existing records the lead may be linked to on conversion, as the duplicate check finds them."""

    customers: list[Candidate]
    contacts: list[tuple[Candidate, str]]


def conversion_choices(*, viewer: Actor, lead: Lead) -> ConversionChoices:
    """Visible customers and contacts that look like the lead (contacts with their customer's name)."""
    customers = duplicate_candidates(
        viewer=viewer,
        values={"name": lead.company_name, "phone": lead.phone, "email": lead.email},
        object_type="customers",
    )
    contacts = duplicate_candidates(
        viewer=viewer,
        values={"name": lead.name, "mobile": lead.mobile, "phone": lead.phone, "email": lead.email},
        object_type="contacts",
    )
    # Each lookup searches every record type; keep the type asked for, visible ones only.
    customers = [c for c in customers if c.object_type == "customers" and c.visible and c.record_id is not None]
    contacts = [c for c in contacts if c.object_type == "contacts" and c.visible and c.record_id is not None]
    employers = dict(Contact.objects.filter(pk__in=[c.record_id for c in contacts]).values_list("pk", "customer__name"))
    return ConversionChoices(
        customers=customers,
        contacts=[(c, employers.get(c.record_id or 0) or "") for c in contacts],
    )


@dataclass(frozen=True)
class StatusStep:
    at: dt.datetime
    by: str
    old: str
    new: str


@dataclass(frozen=True)
class SourceLead:
    lead: Lead
    status_history: list[StatusStep]
    may_open: bool = False
    follow_ups: list[LeadFollowUp] = field(default_factory=list)


def _status_label(value: Any) -> str:
    return str(dict(LeadStatus.choices).get(str(value), value or ""))


def _status_step(entry: AuditEntry) -> StatusStep | None:
    """A capture or a status change, labelled; None for other edits."""
    changes = entry.changes or {}
    if entry.verb == "create":
        return StatusStep(at=entry.created_at, by=entry.actor_name, old="", new=_status_label(LeadStatus.NEW))
    if "status" in changes:
        old, new = changes["status"]
        return StatusStep(at=entry.created_at, by=entry.actor_name, old=_status_label(old), new=_status_label(new))
    return None


def source_leads_of(*, viewer: Actor, customer_id: int) -> list[SourceLead]:
    """The leads converted into a customer, with their status changes from the audit log.

    Whoever may see the customer sees where it came from, even when the lead itself belonged to a
    colleague (a lead converted onto someone else's customer is part of that customer's history).
    The panel shows the source and status history only, never the lead's contact details.
    """
    require_visible(viewer, Customer.objects.filter(pk=customer_id).first())
    leads = list(
        Lead.all_objects.filter(converted_customer_id=customer_id)
        .select_related("owner", "converted_contact")
        .order_by("-converted_at", "-id")[:20]
    )
    entries = history_of(target_type="leads.lead", target_ids=[lead.pk for lead in leads])
    follow_ups: dict[int, list[LeadFollowUp]] = {lead.pk: [] for lead in leads}
    for follow_up in _follow_ups_of([lead.pk for lead in leads]):
        follow_ups[follow_up.lead_id].append(follow_up)
    by_lead: dict[int, list[StatusStep]] = {lead.pk: [] for lead in leads}
    for entry in reversed(entries):
        step = _status_step(entry)
        if step is not None and entry.target_id in by_lead:
            by_lead[entry.target_id].append(step)
    return [
        SourceLead(
            lead=lead,
            status_history=by_lead[lead.pk],
            may_open=can_see(viewer, owner_id=lead.owner_id, team_id=lead.team_id) and lead.deleted_at is None,
            follow_ups=follow_ups[lead.pk],
        )
        for lead in leads
    ]


# Follow-ups and the lead's timeline ----------------------------------------------------------

TIMELINE_LIMIT = 100


def _follow_ups_of(lead_ids: list[int], limit: int = TIMELINE_LIMIT) -> list[LeadFollowUp]:
    """The newest follow-ups of some leads, newest first (served by the lead_follow_up_time index)."""
    if not lead_ids:
        return []
    return list(
        LeadFollowUp.objects.filter(lead_id__in=lead_ids)
        .select_related("owner")
        .order_by("-occurred_at", "-id")[: limit * len(lead_ids)]
    )


def lead_follow_up_page(*, viewer: Actor, lead_id: int, cursor: str | None, size: int) -> Page[LeadFollowUp]:
    """A lead's follow-ups, newest first, for a viewer who may see the lead (converted ones too)."""
    lead = lead_get(viewer=viewer, lead_id=lead_id)
    follow_ups = LeadFollowUp.objects.filter(lead=lead).select_related("owner")
    return paginate(follow_ups, sort=SortKey("occurred_at", descending=True), cursor=cursor, size=size)


@dataclass(frozen=True)
class TimelineItem:
    """A follow-up or a status change on a lead's timeline."""

    at: dt.datetime
    by: str
    follow_up: LeadFollowUp | None = None
    status: StatusStep | None = None


def lead_timeline(*, viewer: Actor, lead: Lead) -> list[TimelineItem]:
    """The lead's follow-ups and status changes, newest first (the lead is one `viewer` sees)."""
    require_visible(viewer, lead)
    items = [
        TimelineItem(at=follow_up.occurred_at, by=str(follow_up.owner), follow_up=follow_up)
        for follow_up in _follow_ups_of([lead.pk])
    ]
    for entry in history_of(target_type="leads.lead", target_ids=[lead.pk]):
        step = _status_step(entry)
        if step is not None:
            items.append(TimelineItem(at=step.at, by=step.by, status=step))
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:TIMELINE_LIMIT]
