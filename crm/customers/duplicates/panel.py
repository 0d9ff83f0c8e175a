"""The duplicate-candidates panel of the create and edit forms: what each row shows and links to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.customers.duplicates.check import DuplicatesFound, detail_url, is_own_customer
from crm.customers.duplicates.lookup import Candidate

TYPE_LABELS = {"leads": _("Lead"), "customers": _("Customer"), "contacts": _("Contact")}


@dataclass(frozen=True)
class PanelRow:
    candidate: Candidate
    type_label: str
    url: str
    merge_url: str
    link_customer_id: int | None


@dataclass(frozen=True)
class Panel:
    rows: list[PanelRow]
    blocked: bool
    can_override: bool
    checked: bool


def panel_of(
    candidates: list[Candidate],
    *,
    object_type: str,
    editing_id: int | None = None,
    blocked: bool = False,
    checked: bool = False,
) -> Panel | None:
    """The panel for `candidates` found for a record of `object_type` (being edited: `editing_id`)."""
    if not candidates:
        return None
    rows = []
    for candidate in candidates:
        record_id = candidate.record_id
        merge_url = ""
        if record_id is not None and editing_id and candidate.object_type == object_type:
            merge_url = reverse(
                "customers:merge", kwargs={"object_type": object_type, "survivor_id": editing_id, "loser_id": record_id}
            )
        link = record_id if object_type == "contacts" and candidate.object_type == "customers" else None
        rows.append(
            PanelRow(
                candidate=candidate,
                type_label=str(TYPE_LABELS.get(candidate.object_type, "")),
                url=detail_url(candidate.object_type, record_id) if record_id is not None else "",
                merge_url=merge_url,
                link_customer_id=link,
            )
        )
    return Panel(rows=rows, blocked=blocked, can_override=not blocked, checked=checked)


def allow_duplicates_from(request: HttpRequest) -> bool:
    """Whether the form was sent with "not a duplicate: save anyway" ticked."""
    return request.POST.get("allow_duplicates") == "1"


def live_values(request: HttpRequest) -> dict[str, Any]:
    """The typed values of a form being checked as the user types."""
    return {key: request.POST.get(key, "") for key in request.POST if key not in ("csrfmiddlewaretoken", "version")}


def without_own_customer(candidates: list[Candidate], object_type: str, values: dict[str, Any]) -> list[Candidate]:
    return [c for c in candidates if not is_own_customer(c, object_type, values)]


# The form fields whose change refreshes the panel, per object type.
WATCHED = {
    "customers": ["name", "phone", "email", "credit_code"],
    "contacts": ["name", "mobile", "phone", "email", "customer_id"],
    "leads": ["name", "company_name", "mobile", "phone", "email"],
}


def form_context(
    object_type: str, *, editing_id: int | None = None, error: DuplicatesFound | None = None, request: HttpRequest
) -> dict[str, Any]:
    """What a create/edit template needs for the panel: `dup` (live check) and `duplicates` (rows)."""
    panel = None
    if error is not None:
        panel = panel_of(
            error.candidates,
            object_type=object_type,
            editing_id=editing_id,
            blocked=error.blocked,
            checked=allow_duplicates_from(request),
        )
    return {
        "dup": {"object_type": object_type, "editing_id": editing_id, "watched": WATCHED.get(object_type, [])},
        "duplicates": panel,
    }
