"""Duplicate scans started from the web: scoped to what the requester sees, stored for paging.

A small scope is scanned right away; a larger one runs as a background task that reports its
progress on the DuplicateScan row. Pairs someone dismissed as "not a duplicate" are left out.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from crm.access.visibility import scope_of
from crm.core import clock
from crm.core.actors import Actor, web_actor
from crm.core.errors import NotFound, PermissionDenied, ValidationFailed
from crm.customers.duplicates.scan import scan_pairs
from crm.customers.duplicates.scoring import Reason
from crm.customers.duplicates.sources import source_of
from crm.customers.models import DismissedPair, DuplicateScan, MatchObject, ScanPair, ScanStatus
from crm.identity.models import User, Visibility
from crm.identity.rights import user_of

# Up to this many visible rows the scan runs within the request (a few seconds at most).
SYNC_LIMIT = 20_000
BATCH = 500


def may_scan(actor: Actor) -> bool:
    """Managers and administrators: anyone who sees more than their own records."""
    scope = scope_of(actor)
    return scope.sees_all or bool(scope.team_ids)


def offers_scan(actor: Actor) -> bool:
    """`may_scan` from the role alone (no query), for showing the menu entry."""
    user = user_of(actor)
    if user is None:
        return False
    return user.is_superuser or (user.role is not None and user.role.visibility != Visibility.OWN)


def _require_scan(actor: Actor) -> None:
    if not may_scan(actor):
        raise PermissionDenied(_("Only managers and administrators may scan for duplicates."))


def _object_type(object_type: str) -> str:
    if object_type not in MatchObject.values:
        raise ValidationFailed(_("Choose leads, customers or contacts."))
    return object_type


def scan_start(*, actor: Actor, object_type: str) -> tuple[DuplicateScan, bool]:
    """Create a scan of the records `actor` sees; returns it and whether it still has to run."""
    _require_scan(actor)
    source = source_of(_object_type(object_type))
    user = user_of(actor)
    if user is None:
        raise PermissionDenied(_("Sign in first."))
    total = source.model._default_manager.filter(scope_of(actor).q("owner", "team")).count()
    scan = DuplicateScan.objects.create(object_type=object_type, requested_by=user, total=total)
    return scan, total > SYNC_LIMIT


def scan_run(*, scan_id: int) -> DuplicateScan:
    """Run a queued scan to the end, storing its pairs; progress is saved as it goes."""
    scan = DuplicateScan.objects.select_related("requested_by").filter(pk=scan_id).first()
    if scan is None:
        raise NotFound(_("This scan does not exist."))
    if scan.status != ScanStatus.QUEUED:
        return scan
    requester: User = scan.requested_by
    actor = web_actor(requester)
    DuplicateScan.objects.filter(pk=scan.pk).update(status=ScanStatus.RUNNING)
    skip = {
        (left, right)
        for left, right in DismissedPair.objects.filter(object_type=scan.object_type).values_list("left_id", "right_id")
    }
    seen = {"rows": 0}

    def progress(_label: str, count: int) -> None:
        seen["rows"] += count
        # Each blocking pass reads the rows again; the bar shows passes × rows.
        DuplicateScan.objects.filter(pk=scan.pk).update(done=seen["rows"])

    try:
        batch: list[ScanPair] = []
        found = 0
        for pair in scan_pairs(
            object_type=scan.object_type, progress=progress, where=scope_of(actor).q("owner", "team"), skip=skip
        ):
            batch.append(
                ScanPair(
                    scan=scan,
                    left_id=pair.left_id,
                    right_id=pair.right_id,
                    left_external_id=pair.left_external_id or "",
                    right_external_id=pair.right_external_id or "",
                    left_name=pair.left_name[:200],
                    right_name=pair.right_name[:200],
                    score=pair.score,
                    # Codes and values, so each viewer reads them in their own language.
                    reasons=[reason.data() if isinstance(reason, Reason) else reason for reason in pair.reasons],
                )
            )
            if len(batch) >= BATCH:
                ScanPair.objects.bulk_create(batch)
                found += len(batch)
                batch = []
        ScanPair.objects.bulk_create(batch)
        found += len(batch)
    except Exception as exc:
        DuplicateScan.objects.filter(pk=scan.pk).update(
            status=ScanStatus.FAILED, error=str(exc)[:500], finished_at=clock.now()
        )
        raise
    passes = max(1, seen["rows"])
    DuplicateScan.objects.filter(pk=scan.pk).update(
        status=ScanStatus.DONE, pairs_found=found, done=passes, total=passes, finished_at=clock.now()
    )
    scan.refresh_from_db()
    return scan


def scan_get(*, actor: Actor, scan_id: int) -> DuplicateScan:
    scan = DuplicateScan.objects.filter(pk=scan_id, requested_by_id=actor.user_id).first()
    if scan is None:
        raise NotFound(_("This scan does not exist."))
    return scan


def latest_scan(*, actor: Actor, object_type: str) -> DuplicateScan | None:
    return (
        DuplicateScan.objects.filter(requested_by_id=actor.user_id, object_type=object_type)
        .order_by("-created_at", "-id")
        .first()
    )


def scan_pairs_of(scan: DuplicateScan) -> QuerySet[ScanPair]:
    """The pairs of a scan, without those dismissed since it ran."""
    dismissed = DismissedPair.objects.filter(
        object_type=scan.object_type, left_id=OuterRef("left_id"), right_id=OuterRef("right_id")
    )
    return ScanPair.objects.filter(scan=scan).exclude(Exists(dismissed))


def pair_dismiss(*, actor: Actor, object_type: str, left_id: int, right_id: int) -> DismissedPair:
    """Remember that two records are not duplicates, so no scan lists them again."""
    _require_scan(actor)
    low, high = sorted((left_id, right_id))
    with transaction.atomic():
        dismissed, _created = DismissedPair.objects.get_or_create(
            object_type=_object_type(object_type),
            left_id=low,
            right_id=high,
            defaults={"dismissed_by_id": actor.user_id},
        )
    return dismissed
