"""Duplicate candidates for one new or edited record, found by indexed equality on match keys.

Each key (credit code, phone, email, name key) is one indexed lookup with a small limit, so
the cost does not grow with the table; the few rows found are then scored in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from crm.access.visibility import can_see
from crm.core.actors import Actor
from crm.customers.duplicates.scoring import score
from crm.customers.duplicates.sources import SOURCES, source_of
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
    object_type: str = "customers"
    owner_id: int | None = None
    record_id: int | None = None
    name: str = ""
    external_id: str | None = None
    reasons: list[str] = field(default_factory=list)
    # Always set, never shown to a viewer who may not see the record: for telling its owner.
    target_id: int = 0
    match_reasons: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.visible:
            return f"{self.name} ({self.score}): {'; '.join(self.reasons)}"
        return f"owned by {self.owner_name} since {self.owner_since.date().isoformat()}"


def duplicate_candidates(
    *,
    viewer: Actor,
    values: dict[str, Any],
    object_type: str,
    exclude_id: int | None = None,
    min_score: int = MIN_SCORE,
) -> list[Candidate]:
    """Existing live leads, customers and contacts that look like `values`, best first.

    `values` are the raw field values of a new or edited record of `object_type`, as a form
    sends them; `exclude_id` is the edited record itself.
    """
    probe = source_of(object_type).record(values)
    found: list[tuple[int, list[str], str, dict[str, Any]]] = []
    for source in SOURCES.values():
        rows: dict[int, dict[str, Any]] = {}
        excluded = exclude_id if source.object_type == object_type else None
        for condition in source.conditions(probe):
            matches = (
                source.model._default_manager.filter(condition)
                .exclude(pk=excluded or 0)
                .order_by("-id")
                .values(*source.columns, "owner_id", "team_id", "created_at")[:PER_KEY_LIMIT]
            )
            rows.update((row["id"], row) for row in matches)
        for row in rows.values():
            points, reasons = score(probe, source.record(row))
            if points >= min_score:
                found.append((points, reasons, source.object_type, row))
    found.sort(key=lambda item: (-item[0], item[2], -item[3]["id"]))
    found = found[:MAX_CANDIDATES]
    owners = {
        user.pk: str(user)
        for user in User.objects.filter(pk__in={row["owner_id"] for _p, _r, _t, row in found}).only(
            "pk", "full_name", "username"
        )
    }
    candidates = []
    for points, reasons, found_type, row in found:
        owner_name = owners.get(row["owner_id"], "")
        common = {
            "score": points,
            "owner_name": owner_name,
            "owner_since": row["created_at"],
            "object_type": found_type,
            "owner_id": row["owner_id"],
            "target_id": row["id"],
            "match_reasons": reasons,
        }
        if can_see(viewer, owner_id=row["owner_id"], team_id=row["team_id"]):
            candidates.append(
                Candidate(
                    **common,
                    visible=True,
                    record_id=row["id"],
                    name=row["name"],
                    external_id=row["external_id"],
                    reasons=reasons,
                )
            )
        else:
            candidates.append(Candidate(**common, visible=False))
    return candidates
