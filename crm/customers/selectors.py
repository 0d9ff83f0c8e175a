"""Every read of customers and contacts, through the visibility rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from crm.access.visibility import require_visible, visible
from crm.core.actors import Actor
from crm.core.clock import day_start
from crm.core.errors import FieldError, NotFound, ValidationFailed
from crm.core.flag_tables import only_flagged
from crm.core.pagination import Page, SortKey, paginate
from crm.core.search import search_filter
from crm.customers.models import Contact, Customer, NeglectFlag, Tag
from crm.identity.selectors import team_subtree_ids

SORTS: dict[str, SortKey] = {
    "-created_at": SortKey("created_at", descending=True),
    "created_at": SortKey("created_at", descending=False),
    "-updated_at": SortKey("updated_at", descending=True),
    "name": SortKey("name", descending=False),
}
DEFAULT_SORT = "-created_at"
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    grade: str = ""
    tag: str = ""
    industry: str = ""
    province: str = ""
    city: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    updated_from: dt.date | None = None
    updated_to: dt.date | None = None
    sort: str = DEFAULT_SORT
    deleted: bool = False
    neglected: bool = False

    def as_params(self) -> dict[str, Any]:
        """The non-empty filters, for audit entries and links."""
        return {key: str(value) for key, value in self.__dict__.items() if value not in (None, "", False)}


@dataclass(frozen=True)
class ContactFilters:
    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    deal_role: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    updated_from: dt.date | None = None
    updated_to: dt.date | None = None
    sort: str = DEFAULT_SORT
    deleted: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def as_params(self) -> dict[str, Any]:
        return {
            key: str(value) for key, value in self.__dict__.items() if value not in (None, "", False) and key != "extra"
        }


def _date_ranges(queryset: QuerySet[Any], filters: CustomerFilters | ContactFilters) -> QuerySet[Any]:
    if filters.created_from:
        queryset = queryset.filter(created_at__gte=day_start(filters.created_from))
    if filters.created_to:
        queryset = queryset.filter(created_at__lt=day_start(filters.created_to + dt.timedelta(days=1)))
    if filters.updated_from:
        queryset = queryset.filter(updated_at__gte=day_start(filters.updated_from))
    if filters.updated_to:
        queryset = queryset.filter(updated_at__lt=day_start(filters.updated_to + dt.timedelta(days=1)))
    return queryset


def customer_list(*, viewer: Actor, filters: CustomerFilters) -> QuerySet[Customer]:
    """Customers `viewer` may see that match `filters` (unordered; paginate or export it)."""
    manager = Customer.all_objects if filters.deleted else Customer.objects
    customers = visible(viewer, manager.all())
    if filters.deleted:
        customers = customers.filter(deleted_at__isnull=False)
    if filters.owner_id:
        customers = customers.filter(owner_id=filters.owner_id)
    if filters.team_id:
        customers = customers.filter(team_id__in=team_subtree_ids(filters.team_id))
    if filters.grade:
        customers = customers.filter(grade=filters.grade)
    if filters.tag:
        customers = customers.filter(tags__name=filters.tag)
    if filters.industry:
        customers = customers.filter(industry=filters.industry)
    if filters.province:
        customers = customers.filter(province=filters.province)
    if filters.city:
        customers = customers.filter(city=filters.city)
    if filters.neglected:
        # Flags live in their own table (crm.customers.neglect).
        customers = only_flagged(customers, NeglectFlag.objects.all(), flag_key="customer_id", relation="neglect_flag")
    customers = _date_ranges(customers, filters)
    if filters.q:
        customers = search_filter(customers, filters.q)
    return customers.select_related("owner", "team", "neglect_flag")


def customer_page(
    *, viewer: Actor, filters: CustomerFilters, cursor: str | None, size: int, with_tags: bool = True
) -> Page[Customer]:
    customers = customer_list(viewer=viewer, filters=filters)
    if with_tags:
        customers = customers.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    return paginate(customers, sort=SORTS.get(filters.sort, SORTS[DEFAULT_SORT]), cursor=cursor, size=size)


def customer_export_rows(*, viewer: Actor, filters: CustomerFilters) -> Iterator[Customer]:
    """Every matching customer in list order, in chunks, capped at EXPORT_LIMIT."""
    sort = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    prefix = "-" if sort.descending else ""
    customers = (
        customer_list(viewer=viewer, filters=filters)
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .order_by(f"{prefix}{sort.field}", f"{prefix}id")[:EXPORT_LIMIT]
    )
    yield from customers.iterator(chunk_size=2000)


def customer_get(*, viewer: Actor, customer_id: int, include_deleted: bool = False) -> Customer:
    """One customer `viewer` may see, or NotFound (also when it exists but is hidden)."""
    manager = Customer.all_objects if include_deleted else Customer.objects
    customer = (
        manager.select_related("owner", "team", "neglect_flag").prefetch_related("tags").filter(pk=customer_id).first()
    )
    return require_visible(viewer, customer)


def customer_to_link(*, viewer: Actor, customer_id: Any, field: str = "customer") -> Customer:
    """The live customer a new record is to belong to, or a ValidationFailed naming `field`.

    A hidden or unknown id reads as invalid input, not as "not found": the form names the field.
    """
    try:
        customer = Customer.objects.filter(pk=int(customer_id)).first()
    except (TypeError, ValueError):
        customer = None
    try:
        return require_visible(viewer, customer)
    except NotFound as exc:
        message = _("Choose a customer you can see.")
        raise ValidationFailed(message, errors=[FieldError(field=field, message=message)]) from exc


def customer_choices(*, viewer: Actor, q: str, limit: int = 20) -> list[Customer]:
    """Customers for a picker: visible ones matching `q`, newest first."""
    customers = visible(viewer, Customer.objects.all())
    if q:
        customers = search_filter(customers, q)
    return list(customers.only("id", "name").order_by("-created_at", "-id")[:limit])


def recent_customers(*, viewer: Actor, limit: int = 8) -> list[Customer]:
    """Customers in the viewer's scope that changed most recently (their own first for reps)."""
    if viewer.user_id is None:
        return []
    return list(visible(viewer, Customer.objects.all()).select_related("owner").order_by("-updated_at", "-id")[:limit])


def tag_names() -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:500])


def industry_names(limit: int = 200) -> list[str]:
    """The distinct industries of live customers, sorted.

    A DISTINCT over the table reads every row; this hops from one industry to the next along
    the industry index instead, one seek per industry, whatever the table's size.
    """
    # The table name comes from model metadata; the values are parameters.
    table = Customer._meta.db_table
    step = f"SELECT industry FROM {table} WHERE industry > {{}} AND deleted_at IS NULL ORDER BY industry LIMIT 1"  # noqa: S608
    sql = (
        f"WITH RECURSIVE industries(name, n) AS (SELECT ({step.format('%s')}), 1 "  # noqa: S608
        f"UNION ALL SELECT ({step.format('industries.name')}), n + 1 "
        "FROM industries WHERE industries.name IS NOT NULL AND n < %s) "
        "SELECT name FROM industries WHERE name IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ["", limit])
        return [name for (name,) in cursor.fetchall()]


def contact_list(*, viewer: Actor, filters: ContactFilters) -> QuerySet[Contact]:
    manager = Contact.all_objects if filters.deleted else Contact.objects
    contacts = visible(viewer, manager.all())
    if filters.deleted:
        contacts = contacts.filter(deleted_at__isnull=False)
    if filters.owner_id:
        contacts = contacts.filter(owner_id=filters.owner_id)
    if filters.team_id:
        contacts = contacts.filter(team_id__in=team_subtree_ids(filters.team_id))
    if filters.customer_id:
        contacts = contacts.filter(customer_id=filters.customer_id)
    if filters.deal_role:
        contacts = contacts.filter(deal_role=filters.deal_role)
    contacts = _date_ranges(contacts, filters)
    if filters.q:
        contacts = search_filter(contacts, filters.q)
    return contacts.select_related("owner", "team", "customer")


def contact_page(*, viewer: Actor, filters: ContactFilters, cursor: str | None, size: int) -> Page[Contact]:
    contacts = contact_list(viewer=viewer, filters=filters)
    return paginate(contacts, sort=SORTS.get(filters.sort, SORTS[DEFAULT_SORT]), cursor=cursor, size=size)


def contact_export_rows(*, viewer: Actor, filters: ContactFilters) -> Iterator[Contact]:
    sort = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    prefix = "-" if sort.descending else ""
    contacts = contact_list(viewer=viewer, filters=filters).order_by(f"{prefix}{sort.field}", f"{prefix}id")
    yield from contacts[:EXPORT_LIMIT].iterator(chunk_size=2000)


def contact_get(*, viewer: Actor, contact_id: int, include_deleted: bool = False) -> Contact:
    manager = Contact.all_objects if include_deleted else Contact.objects
    contact = manager.select_related("owner", "team", "customer").filter(pk=contact_id).first()
    return require_visible(viewer, contact)


def contacts_of_customer(*, viewer: Actor, customer_id: int) -> list[Contact]:
    """The customer's contacts that `viewer` may see."""
    return list(
        visible(viewer, Contact.objects.filter(customer_id=customer_id)).select_related("owner").order_by("name")[:200]
    )
