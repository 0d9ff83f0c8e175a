"""Customers and contacts as the plain records the scorer compares."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from crm.customers.duplicates.scoring import Record

ObjectType = Literal["customers", "contacts"]

# The columns a comparison reads, per object type (for `.values(...)` queries).
CUSTOMER_COLUMNS = ("id", "external_id", "name", "credit_code", "phone", "email", "website")
CONTACT_COLUMNS = ("id", "external_id", "name", "mobile", "phone", "email", "birthday", "address", "customer_id")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) or value is None:
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()) if str(value).strip() else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def customer_record(values: dict[str, Any]) -> Record:
    return Record(
        company=str(values.get("name") or ""),
        credit_code=str(values.get("credit_code") or ""),
        phones=[str(values.get("phone") or "")],
        email=str(values.get("email") or ""),
        website=str(values.get("website") or ""),
    )


def contact_record(values: dict[str, Any]) -> Record:
    return Record(
        person=str(values.get("name") or ""),
        phones=[str(values.get("mobile") or ""), str(values.get("phone") or "")],
        email=str(values.get("email") or ""),
        birthday=_date(values.get("birthday")),
        address=str(values.get("address") or ""),
        customer_id=_int(values.get("customer_id", values.get("customer"))),
    )


def record_of(object_type: ObjectType, values: dict[str, Any]) -> Record:
    return customer_record(values) if object_type == "customers" else contact_record(values)
