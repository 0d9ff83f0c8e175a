"""The duplicate policy applied on every create and edit: block, warn or allow, per object type.

Services call `duplicate_check` before they write. It finds the candidates, tells the owners
of candidates that belong to someone else (撞单, once per attempt), and refuses the write with
`DuplicatesFound` (HTTP 409, code "duplicate") when the policy says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.audit.models import Verb
from crm.audit.services import audit_record
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import DomainError, ValidationFailed
from crm.customers.duplicates.lookup import Candidate, duplicate_candidates
from crm.customers.duplicates.scoring import reason_text
from crm.customers.duplicates.sources import source_of
from crm.customers.models import DuplicateMode, DuplicatePolicy, MatchObject
from crm.identity.models import User
from crm.identity.rights import require_org_admin
from crm.notifications.models import Notification, NotificationKind
from crm.notifications.services import Notice, notify

# One notice per rep, record and owner in this window: a rep who is warned and then saves
# anyway made one attempt, not two.
NOTICE_WINDOW = dt.timedelta(minutes=10)


class DuplicatesFound(DomainError):
    """Likely duplicates exist and the policy refuses the write (or wants it confirmed)."""

    code = "duplicate"
    http_status = 409

    def __init__(self, message: str, *, candidates: list[Candidate], blocked: bool) -> None:
        super().__init__(
            message, extra={"candidates": [candidate_out(c) for c in candidates], "can_override": not blocked}
        )
        self.candidates = candidates
        self.blocked = blocked


def candidate_out(candidate: Candidate) -> dict[str, Any]:
    """A candidate as the API and the forms show it: masked when the viewer may not see it."""
    return {
        "object_type": candidate.object_type,
        "id": candidate.record_id,
        "external_id": candidate.external_id if candidate.visible else None,
        "name": candidate.name,
        "score": candidate.score,
        "reasons": candidate.reasons,
        "visible": candidate.visible,
        "owner": candidate.owner_name,
        "owner_since": timezone.localdate(candidate.owner_since).isoformat(),
    }


def policy_of(object_type: str) -> str:
    mode = DuplicatePolicy.objects.filter(object_type=object_type).values_list("mode", flat=True).first()
    return mode or DuplicateMode.WARN


def policies() -> dict[str, str]:
    """The mode of every object type, defaults filled in."""
    stored = dict(DuplicatePolicy.objects.values_list("object_type", "mode"))
    return {value: stored.get(value, DuplicateMode.WARN) for value in MatchObject.values}


def duplicate_policy_set(*, actor: Actor, object_type: str, mode: str) -> DuplicatePolicy:
    """Set block / warn / allow for one object type; administrators only, audited."""
    require_org_admin(actor)
    if object_type not in MatchObject.values or mode not in DuplicateMode.values:
        raise ValidationFailed(_("Choose block, warn or allow for leads, customers or contacts."))
    with transaction.atomic():
        policy = DuplicatePolicy.objects.filter(object_type=object_type).first()
        before = policy.mode if policy is not None else DuplicateMode.WARN
        if policy is None:
            policy = DuplicatePolicy.objects.create(object_type=object_type, mode=mode)
        elif policy.mode != mode:
            policy.mode = mode
            policy.save(update_fields=["mode", "updated_at"])
        if before != mode:
            audit_record(actor=actor, verb=Verb.UPDATE, target=policy, changes={"mode": [before, mode]})
    return policy


def detail_url(object_type: str, record_id: int) -> str:
    source = source_of(object_type)
    try:
        return reverse(source.detail_url, kwargs={source.id_argument: record_id})
    except NoReverseMatch:
        return ""


def _notify_owners(actor: Actor, object_type: str, values: dict[str, Any], candidates: list[Candidate]) -> None:
    """Tell each owner of a matching record that someone else is entering it (撞单)."""
    others = [c for c in candidates if c.owner_id is not None and c.owner_id != actor.user_id]
    if not others:
        return
    since = clock.now() - NOTICE_WINDOW
    owners = {user.pk: user for user in User.objects.filter(pk__in={c.owner_id for c in others})}
    kinds = {
        "leads": gettext_lazy("lead"),
        "customers": gettext_lazy("customer"),
        "contacts": gettext_lazy("contact"),
    }
    for candidate in others:
        record_id = candidate.target_id
        owner = owners.get(candidate.owner_id or 0)
        if owner is None:
            continue
        target_type = target_type_of(candidate.object_type)
        already = Notification.objects.filter(
            recipient_id=owner.pk,
            kind=NotificationKind.DUPLICATE_COLLISION,
            target_type=target_type,
            target_id=record_id,
            created_at__gte=since,
            title__startswith=actor.label,
        ).exists()
        if already:
            continue
        notify(
            [owner],
            Notice(
                kind=NotificationKind.DUPLICATE_COLLISION,
                title=format_lazy(
                    gettext_lazy("{actor} tried to enter {name}, which matches your {kind} {existing}"),
                    actor=actor.label,
                    name=str(values.get("name") or ""),
                    kind=kinds.get(candidate.object_type, ""),
                    existing=_record_name(candidate.object_type, record_id),
                ),
                body=format_lazy(
                    gettext_lazy("Match score {score}: {reasons}"),
                    score=candidate.score,
                    # Rendered per recipient, so the owner reads the reasons in their language.
                    reasons=_reasons_later(candidate.match_reasons),
                ),
                url=detail_url(candidate.object_type, record_id),
                target_type=target_type,
                target_id=record_id,
            ),
        )


def _reasons_later(reasons: list[str]) -> str:
    return lazy(lambda: "; ".join(reason_text(reason) for reason in reasons), str)()


def target_type_of(object_type: str) -> str:
    meta = source_of(object_type).model._meta
    return f"{meta.app_label}.{meta.model_name}"


def _record_name(object_type: str, record_id: int) -> str:
    model = source_of(object_type).model
    return str(model._default_manager.filter(pk=record_id).values_list("name", flat=True).first() or "")


def is_own_customer(candidate: Candidate, object_type: str, values: dict[str, Any]) -> bool:
    """A contact sharing a phone with the customer it works at is no duplicate of that customer."""
    if object_type != "contacts" or candidate.object_type != "customers":
        return False
    return str(candidate.target_id) == str(values.get("customer_id") or values.get("customer") or "")


def duplicate_check(
    *,
    actor: Actor,
    object_type: str,
    values: dict[str, Any],
    exclude_id: int | None = None,
    allow_duplicates: bool = False,
) -> list[Candidate]:
    """Apply the policy for `object_type` to a record about to be written with `values`.

    Returns the candidates the write goes ahead despite (warned and confirmed); raises
    DuplicatesFound when the policy blocks, or warns and `allow_duplicates` is not set.
    System processes (demo data, maintenance) are not checked: they enter no new people.
    """
    if actor.is_system:
        return []
    mode = policy_of(object_type)
    if mode == DuplicateMode.ALLOW:
        return []
    candidates = [
        candidate
        for candidate in duplicate_candidates(
            viewer=actor, values=values, object_type=object_type, exclude_id=exclude_id
        )
        if not is_own_customer(candidate, object_type, values)
    ]
    if not candidates:
        return []
    _notify_owners(actor, object_type, values, candidates)
    if mode == DuplicateMode.BLOCK:
        raise DuplicatesFound(
            _("This looks like a record that already exists, so it was not saved. Open the existing record instead."),
            candidates=candidates,
            blocked=True,
        )
    if not allow_duplicates:
        raise DuplicatesFound(
            _("This looks like a record that already exists. Open the existing one, or confirm to save anyway."),
            candidates=candidates,
            blocked=False,
        )
    return candidates


def duplicate_collisions_notify(
    *, actor: Actor, object_type: str, values: dict[str, Any], exclude_id: int | None = None
) -> list[Candidate]:
    """For channels where nobody can be asked "save anyway?" (a public web form): never refuse the
    record, but tell the owners of the records it matches (撞单), as when a colleague enters one."""
    candidates = [
        candidate
        for candidate in duplicate_candidates(
            viewer=actor, values=values, object_type=object_type, exclude_id=exclude_id
        )
        if not is_own_customer(candidate, object_type, values)
    ]
    if candidates:
        _notify_owners(actor, object_type, values, candidates)
    return candidates


def duplicate_check_edit(
    *, actor: Actor, object_type: str, record_id: int, values: dict[str, Any], allow_duplicates: bool = False
) -> list[Candidate]:
    """`duplicate_check` for an edit, run only when the edit changes a field the check compares.

    Saving notes on a record that was already a known near-duplicate asks nothing again.
    """
    source = source_of(object_type)
    current = source.model._default_manager.filter(pk=record_id).values(*source.columns).first()
    if current is None:
        return []
    compared = set(source.columns) - {"id", "external_id"}
    if not any(key in values and values[key] != current.get(key) for key in compared):
        return []
    return duplicate_check(
        actor=actor,
        object_type=object_type,
        values={**current, **values},
        exclude_id=record_id,
        allow_duplicates=allow_duplicates,
    )
