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

from crm.customers.duplicates.normalise import company_key, credit_code_key, email_key, person_key, phone_key
from crm.customers.duplicates.records import CONTACT_COLUMNS, CUSTOMER_COLUMNS, contact_record, customer_record
from crm.customers.duplicates.scoring import Record
from crm.customers.models import Contact, Customer

# A lookup key: (kind, value), e.g. ("phone", "+8613800000000"). Each kind is looked up in one
# or more indexed columns of a source (`Source.key_columns`).
Key = tuple[str, str]


# Mobile or phone in one condition: both columns are indexed, so it stays two index probes (SQLite's
# multi-index OR), provided each term names its partial index's condition (crm.customers.duplicates.keys).
PERSON_KEY_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phone", ("mobile", "phone")),
    ("email", ("email",)),
    ("name", ("name_key",)),
)
CUSTOMER_KEY_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("credit_code", ("credit_code",)),
    ("phone", ("phone",)),
    ("email", ("email",)),
    ("name", ("name_key",)),
)


@dataclass(frozen=True)
class Source:
    """One record type: its model, the columns a comparison reads, and its indexed key lookups."""

    object_type: str
    model: type[models.Model]
    columns: tuple[str, ...]
    record: Callable[[dict[str, Any]], Record]
    keys: Callable[[Record], list[Key]]
    detail_url: str  # URL name taking the record id, for links from the candidates panel
    id_argument: str
    # Refreshes a record's derived columns (search text, name key) after a merge changed it, and
    # returns them; customers and contacts use crm.customers.services, so it is None for them.
    derive: Callable[[Any], dict[str, Any]] | None = None
    # Fields a merge never takes from the other record (workflow state, links of conversion).
    unmerged: frozenset[str] = frozenset()
    # The indexed columns each key kind is looked up in (both phone columns for people).
    key_columns: tuple[tuple[str, tuple[str, ...]], ...] = PERSON_KEY_COLUMNS

    def columns_of(self, kind: str) -> tuple[str, ...]:
        return dict(self.key_columns).get(kind, ())


def probe_phones(probe: Record) -> set[str]:
    return {key for key in (phone_key(value) for value in probe.get("phones") or []) if key}


def _contact_keys(probe: Record) -> list[Key]:
    """Phones, email and the credit code: the keys every record type is looked up by."""
    keys: list[Key] = [("phone", phone) for phone in sorted(probe_phones(probe))]
    email = email_key(probe.get("email") or "")
    if email:
        keys.append(("email", email))
    return keys


def _customer_keys(probe: Record) -> list[Key]:
    code = credit_code_key(probe.get("credit_code") or "")
    keys: list[Key] = [("credit_code", code)] if code else []
    keys += _contact_keys(probe)
    name = company_key(probe.get("company") or "")
    if name:
        keys.append(("name", name))
    return keys


def person_keys(probe: Record) -> list[Key]:
    """A person's keys: phones, email and the name's sorted syllables (swapped order, 张伟/张玮)."""
    keys = _contact_keys(probe)
    name = person_key(probe.get("person") or "")
    if name:
        keys.append(("name", name))
    return keys


SOURCES: dict[str, Source] = {
    "customers": Source(
        "customers",
        Customer,
        CUSTOMER_COLUMNS,
        customer_record,
        _customer_keys,
        "customers:detail",
        "customer_id",
        key_columns=CUSTOMER_KEY_COLUMNS,
    ),
    "contacts": Source(
        "contacts", Contact, CONTACT_COLUMNS, contact_record, person_keys, "contacts:detail", "contact_id"
    ),
}


def register(source: Source) -> None:
    """Add a record type (called from an app's `ready`)."""
    SOURCES[source.object_type] = source


def source_of(object_type: str) -> Source:
    return SOURCES[object_type]
