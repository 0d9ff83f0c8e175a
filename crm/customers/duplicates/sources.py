"""The record types the duplicate check looks through, and how each is read and compared.

Customers and contacts are described here; apps above this one (leads) add theirs with
`register` when they load, so a lookup finds candidates across every type without this
package importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from crm.customers.duplicates.normalise import company_key, credit_code_key, email_key, person_key, phone_key
from crm.customers.duplicates.records import CONTACT_COLUMNS, CUSTOMER_COLUMNS, contact_record, customer_record
from crm.customers.duplicates.scoring import Record
from crm.customers.models import Contact, Customer


@dataclass(frozen=True)
class Source:
    """One record type: its model, the columns a comparison reads, and its indexed key lookups."""

    object_type: str
    model: type[models.Model]
    columns: tuple[str, ...]
    record: Callable[[dict[str, Any]], Record]
    conditions: Callable[[Record], list[Q]]
    detail_url: str  # URL name taking the record id, for links from the candidates panel
    id_argument: str
    # Refreshes a record's derived columns (search text, name key) after a merge changed it, and
    # returns them; customers and contacts use crm.customers.services, so it is None for them.
    derive: Callable[[Any], dict[str, Any]] | None = None
    # Fields a merge never takes from the other record (workflow state, links of conversion).
    unmerged: frozenset[str] = frozenset()


def probe_phones(probe: Record) -> set[str]:
    return {key for key in (phone_key(value) for value in probe.get("phones") or []) if key}


def _customer_conditions(probe: Record) -> list[Q]:
    conditions: list[Q] = []
    code = credit_code_key(probe.get("credit_code") or "")
    if code:
        conditions.append(Q(credit_code=code))
    conditions += [Q(phone=phone) for phone in sorted(probe_phones(probe))]
    email = email_key(probe.get("email") or "")
    if email:
        conditions.append(Q(email=email))
    name = company_key(probe.get("company") or "")
    if name:
        conditions.append(Q(name_key=name))
    return conditions


def person_conditions(probe: Record) -> list[Q]:
    conditions: list[Q] = []
    # Mobile or phone in one query: both columns are indexed, so this stays two index probes.
    conditions += [Q(mobile=phone) | Q(phone=phone) for phone in sorted(probe_phones(probe))]
    email = email_key(probe.get("email") or "")
    if email:
        conditions.append(Q(email=email))
    name = person_key(probe.get("person") or "")
    if name:
        conditions.append(Q(name_key=name))
    return conditions


SOURCES: dict[str, Source] = {
    "customers": Source(
        "customers",
        Customer,
        CUSTOMER_COLUMNS,
        customer_record,
        _customer_conditions,
        "customers:detail",
        "customer_id",
    ),
    "contacts": Source(
        "contacts", Contact, CONTACT_COLUMNS, contact_record, person_conditions, "contacts:detail", "contact_id"
    ),
}


def register(source: Source) -> None:
    """Add a record type (called from an app's `ready`)."""
    SOURCES[source.object_type] = source


def source_of(object_type: str) -> Source:
    return SOURCES[object_type]
