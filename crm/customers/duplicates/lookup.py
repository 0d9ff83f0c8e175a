"""Duplicate candidates for one new or edited record, found by indexed equality on match keys.

Each key (credit code, phone, email, name key) is one indexed lookup with a small limit, so
the cost does not grow with the table; the few rows found are then scored in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from crm.access.visibility import can_see
from crm.core.actors import Actor
from crm.customers.duplicates.normalise import (
    company_key,
    credit_code_key,
    email_key,
    person_key,
    phone_key,
)
from crm.customers.duplicates.records import CONTACT_COLUMNS, CUSTOMER_COLUMNS, ObjectType, record_of
from crm.customers.duplicates.scoring import score
from crm.customers.models import Contact, Customer
from crm.identity.models import User

PER_KEY_LIMIT = 50
MIN_SCORE = 30
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class Candidate:
    """A likely duplicate. For a record the viewer may not see, only its owner and since when."""

    score: int
    visible: bool
    owner_name: str
    owner_since: dt.datetime
    record_id: int | None = None
    name: str = ""
    external_id: str | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.visible:
            return f"{self.name} ({self.score}): {'; '.join(self.reasons)}"
        return f"owned by {self.owner_name} since {self.owner_since.date().isoformat()}"


def _key_conditions(object_type: ObjectType, values: dict[str, Any]) -> list[Q]:
    """One equality condition per match key the new record has (each served by an index)."""
    conditions: list[Q] = []
    email = email_key(str(values.get("email") or ""))
    if email:
        conditions.append(Q(email=email))
    if object_type == "customers":
        code = credit_code_key(str(values.get("credit_code") or ""))
        if code:
            conditions.append(Q(credit_code=code))
        phone = phone_key(str(values.get("phone") or ""))
        if phone:
            conditions.append(Q(phone=phone))
        name = company_key(str(values.get("name") or ""))
        if name:
            conditions.append(Q(name_key=name))
        return conditions
    for phone in {phone_key(str(values.get(column) or "")) for column in ("mobile", "phone")} - {""}:
        conditions += [Q(mobile=phone), Q(phone=phone)]
    name = person_key(str(values.get("name") or ""))
    if name:
        conditions.append(Q(name_key=name))
    return conditions


def duplicate_candidates(
    *,
    viewer: Actor,
    values: dict[str, Any],
    object_type: ObjectType,
    exclude_id: int | None = None,
    min_score: int = MIN_SCORE,
) -> list[Candidate]:
    """Existing live records that look like `values` (raw field values, as a form sends them), best first."""
    model: type[Customer] | type[Contact] = Customer if object_type == "customers" else Contact
    columns = CUSTOMER_COLUMNS if object_type == "customers" else CONTACT_COLUMNS
    rows: dict[int, dict[str, Any]] = {}
    for condition in _key_conditions(object_type, values):
        found = (
            model.objects.filter(condition)
            .exclude(pk=exclude_id or 0)
            .order_by("-id")
            .values(*columns, "owner_id", "team_id", "created_at")[:PER_KEY_LIMIT]
        )
        rows.update((row["id"], row) for row in found)
    probe = record_of(object_type, values)
    scored = []
    for row in rows.values():
        points, reasons = score(probe, record_of(object_type, row))
        if points >= min_score:
            scored.append((points, reasons, row))
    scored.sort(key=lambda item: (-item[0], -item[2]["id"]))
    scored = scored[:MAX_CANDIDATES]
    owners = {
        user.pk: str(user)
        for user in User.objects.filter(pk__in={row["owner_id"] for _p, _r, row in scored}).only(
            "pk", "full_name", "username"
        )
    }
    candidates = []
    for points, reasons, row in scored:
        owner_name = owners.get(row["owner_id"], "")
        if can_see(viewer, owner_id=row["owner_id"], team_id=row["team_id"]):
            candidates.append(
                Candidate(
                    score=points,
                    visible=True,
                    owner_name=owner_name,
                    owner_since=row["created_at"],
                    record_id=row["id"],
                    name=row["name"],
                    external_id=row["external_id"],
                    reasons=reasons,
                )
            )
        else:
            candidates.append(
                Candidate(score=points, visible=False, owner_name=owner_name, owner_since=row["created_at"])
            )
    return candidates
