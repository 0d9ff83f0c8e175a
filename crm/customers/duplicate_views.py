"""Duplicate screens: the live check of a form, the merge screen and its undo, the scan, the policy."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.access.visibility import can_change, masks_contact_info
from crm.core.actors import Actor, web_actor
from crm.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from crm.core.pagination import InvalidCursor, SortKey, paginate
from crm.core.params import int_param
from crm.core.phone import display_phone, mask_email, mask_phone
from crm.customers.duplicates.check import detail_url, duplicate_policy_set, policies
from crm.customers.duplicates.lookup import duplicate_candidates
from crm.customers.duplicates.panel import live_values, panel_of, without_own_customer
from crm.customers.duplicates.scan_runs import (
    latest_scan,
    may_scan,
    pair_dismiss,
    scan_pairs_of,
    scan_run,
    scan_start,
)
from crm.customers.duplicates.scoring import reason_text
from crm.customers.duplicates.sources import SOURCES, source_of
from crm.customers.merging import field_choices, merge_get, merge_undo, mergeable_record, records_merge
from crm.customers.models import DuplicateMode, MatchObject, ScanStatus
from crm.customers.tasks import duplicate_scan_run
from crm.identity.rights import can_manage_org

PAGE_SIZE = 25
PHONE_FIELDS = {"phone", "mobile"}


def _object_type(value: str) -> str | None:
    return value if value in SOURCES else None


@login_required
@require_POST
def duplicate_check_view(request: HttpRequest, object_type: str) -> HttpResponse:
    """The candidates panel for the values typed so far (no notices: nothing was submitted)."""
    if _object_type(object_type) is None:
        return render(request, "web/not_found.html", status=404)
    actor = web_actor(request.user)
    values = live_values(request)
    editing_id = int_param(request.GET.get("exclude"))
    candidates = duplicate_candidates(viewer=actor, values=values, object_type=object_type, exclude_id=editing_id)
    panel = panel_of(
        without_own_customer(candidates, object_type, values), object_type=object_type, editing_id=editing_id
    )
    return render(request, "customers/duplicate_candidates.html", {"duplicates": panel})


# Merge -------------------------------------------------------------------------------------


def _record(actor: Actor, object_type: str, record_id: int) -> Any:
    return mergeable_record(actor=actor, object_type=object_type, record_id=record_id)


def _shown(actor: Actor, record: Any, field: models.Field[Any, Any], value: Any) -> str:
    """A value as the merge screen shows it: labels for choices, masked contact details."""
    if value in (None, ""):
        return ""
    masked = masks_contact_info(actor, owner_id=record.owner_id)
    if field.name in PHONE_FIELDS:
        return mask_phone(value) if masked else display_phone(value)
    if field.name == "email":
        return mask_email(value) if masked else str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        related = getattr(record, field.name)
        return str(related) if related is not None else ""
    return str(value)


@login_required
@require_http_methods(["GET", "POST"])
def merge_view(request: HttpRequest, object_type: str, survivor_id: int, loser_id: int) -> HttpResponse:
    """Two records side by side; per field, a choice of which value the kept record has."""
    if _object_type(object_type) is None:
        return render(request, "web/not_found.html", status=404)
    actor = web_actor(request.user)
    try:
        survivor = _record(actor, object_type, survivor_id)
        loser = _record(actor, object_type, loser_id)
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    if not (can_change(actor, survivor) and can_change(actor, loser)):
        return render(request, "web/forbidden.html", status=403)
    rows = field_choices(survivor, loser, object_type)
    error = ""
    conflict: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        keep = {row.name for row in rows if request.POST.get(f"keep_{row.name}", row.default) == "loser"}
        try:
            merge = records_merge(
                actor=actor,
                object_type=object_type,
                survivor_id=survivor.pk,
                loser_id=loser.pk,
                survivor_version=int_param(request.POST.get("survivor_version")) or 0,
                loser_version=int_param(request.POST.get("loser_version")) or 0,
                keep_from_loser=keep,
            )
        except Conflict as exc:
            error, conflict, status = exc.message, exc.extra.get("changes", []), 409
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("The records have been merged. You can undo the merge here."))
            return redirect("customers:merge_detail", merge_id=merge.pk)
    fields = {field.name: field for field in source_of(object_type).model._meta.concrete_fields}
    shown = [
        {
            "row": row,
            "survivor": _shown(actor, survivor, fields[row.name], row.survivor_value),
            "loser": _shown(actor, loser, fields[row.name], row.loser_value),
        }
        for row in rows
    ]
    context = {
        "object_type": object_type,
        "object_label": MatchObject(object_type).label,
        "survivor": survivor,
        "loser": loser,
        "survivor_url": detail_url(object_type, survivor.pk),
        "loser_url": detail_url(object_type, loser.pk),
        "rows": shown,
        "same_count": sum(1 for row in rows if not row.differs),
        "error": error,
        "conflict": conflict,
        "swap_url": reverse(
            "customers:merge",
            kwargs={"object_type": object_type, "survivor_id": loser.pk, "loser_id": survivor.pk},
        ),
    }
    return render(request, "customers/merge.html", context, status=status)


@login_required
def merge_detail_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        merge, survivor, loser = merge_get(actor=actor, merge_id=merge_id)
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    context = {
        "merge": merge,
        "survivor": survivor,
        "loser": loser,
        "survivor_url": detail_url(merge.object_type, survivor.pk),
        "moved": sum(len(ids) for ids in merge.moved.values()),
        "may_undo": merge.undone_at is None and can_change(actor, survivor),
    }
    return render(request, "customers/merge_detail.html", context)


@login_required
@require_POST
def merge_undo_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        merge = merge_undo(actor=actor, merge_id=merge_id)
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    except PermissionDenied:
        return render(request, "web/forbidden.html", status=403)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("customers:merge_detail", merge_id=merge_id)
    messages.success(request, _("The merge has been undone."))
    return redirect(detail_url(merge.object_type, merge.loser_id) or "/")


# Scan --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def scan_view(request: HttpRequest) -> HttpResponse:
    """Start a scan of leads, customers or contacts, watch its progress, and page through pairs."""
    actor = web_actor(request.user)
    if not may_scan(actor):
        return render(request, "web/forbidden.html", status=403)
    object_type = _object_type(request.POST.get("object") or request.GET.get("object", "")) or "customers"
    if request.method == "POST":
        started, in_background = scan_start(actor=actor, object_type=object_type)
        if in_background:
            duplicate_scan_run.enqueue(scan_id=started.pk)
        else:
            scan_run(scan_id=started.pk)
        return redirect(f"{reverse('customers:duplicate_scan')}?object={object_type}")
    scan = latest_scan(actor=actor, object_type=object_type)
    page = None
    if scan is not None and scan.status == ScanStatus.DONE:
        try:
            page = paginate(
                scan_pairs_of(scan),
                sort=SortKey("score", descending=True),
                cursor=request.GET.get("cursor"),
                size=PAGE_SIZE,
            )
        except InvalidCursor:
            page = paginate(scan_pairs_of(scan), sort=SortKey("score", descending=True), size=PAGE_SIZE)
    pairs = [
        {
            "pair": pair,
            # Stored as codes and values, shown in the viewer's language.
            "reasons": "; ".join(reason_text(reason) for reason in pair.reasons),
            "left_url": detail_url(object_type, pair.left_id),
            "right_url": detail_url(object_type, pair.right_id),
            "merge_url": reverse(
                "customers:merge",
                kwargs={"object_type": object_type, "survivor_id": pair.left_id, "loser_id": pair.right_id},
            ),
        }
        for pair in (page.items if page else [])
    ]
    context = {
        "object_type": object_type,
        "objects": MatchObject.choices,
        "scan": scan,
        "running": scan is not None and scan.status in (ScanStatus.QUEUED, ScanStatus.RUNNING),
        "pairs": pairs,
        "next_cursor": page.next_cursor if page else None,
    }
    return render(request, "customers/duplicate_scan.html", context)


@login_required
@require_POST
def pair_dismiss_view(request: HttpRequest) -> HttpResponse:
    """ "Not a duplicate": the pair leaves the list and no later scan brings it back."""
    actor = web_actor(request.user)
    object_type = _object_type(request.POST.get("object", "")) or "customers"
    left_id, right_id = int_param(request.POST.get("left_id")), int_param(request.POST.get("right_id"))
    if not left_id or not right_id:
        return render(request, "web/not_found.html", status=404)
    try:
        pair_dismiss(actor=actor, object_type=object_type, left_id=left_id, right_id=right_id)
    except PermissionDenied:
        return render(request, "web/forbidden.html", status=403)
    if request.headers.get("HX-Request"):
        return HttpResponse("")
    messages.success(request, _("The pair will not be listed again."))
    return redirect(f"{reverse('customers:duplicate_scan')}?object={object_type}")


# Policy ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def policy_view(request: HttpRequest) -> HttpResponse:
    """Per object type: block, warn or allow likely duplicates (administrators only)."""
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return render(request, "web/forbidden.html", status=403)
    if request.method == "POST":
        for object_type in MatchObject.values:
            mode = request.POST.get(object_type, "")
            if mode in DuplicateMode.values:
                duplicate_policy_set(actor=actor, object_type=object_type, mode=mode)
        messages.success(request, _("The duplicate check settings have been saved."))
        return redirect("customers:duplicate_policy")
    current = policies()
    rows = [(value, label, current[value]) for value, label in MatchObject.choices]
    return render(request, "customers/duplicate_policy.html", {"rows": rows, "modes": DuplicateMode.choices})
