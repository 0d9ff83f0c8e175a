"""Leads as a record type of the duplicate check (查重): read, compared and looked up by key."""

from __future__ import annotations

from typing import Any

from crm.customers.duplicates.normalise import company_key, email_key
from crm.customers.duplicates.scoring import Record
from crm.customers.duplicates.sources import Key, Source, probe_phones, register

LEAD_COLUMNS = ("id", "external_id", "name", "company_name", "mobile", "phone", "email")


def lead_record(values: dict[str, Any]) -> Record:
    return Record(
        person=str(values.get("name") or ""),
        company=str(values.get("company_name") or ""),
        phones=[str(values.get("mobile") or ""), str(values.get("phone") or "")],
        email=str(values.get("email") or ""),
    )


def lead_keys(probe: Record) -> list[Key]:
    """A lead's `name_key` is its company's key (leads are mostly matched as companies)."""
    keys: list[Key] = [("phone", phone) for phone in sorted(probe_phones(probe))]
    email = email_key(probe.get("email") or "")
    if email:
        keys.append(("email", email))
    name = company_key(probe.get("company") or "")
    if name:
        keys.append(("name", name))
    return keys


def _derive(lead: Any) -> dict[str, Any]:
    from crm.leads.services import _lead_derive

    _lead_derive(lead)
    return {"search_text": lead.search_text, "name_key": lead.name_key}


def register_leads() -> None:
    from crm.leads.models import Lead

    register(
        Source(
            "leads",
            Lead,
            LEAD_COLUMNS,
            lead_record,
            lead_keys,
            "leads:detail",
            "lead_id",
            derive=_derive,
            unmerged=frozenset(
                {"status", "unqualified_reason", "converted_customer", "converted_contact", "converted_at"}
            ),
        )
    )
