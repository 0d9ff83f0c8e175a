"""Every write to deals: create, change, move through stages, close, reopen, checklist ticks."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from crm.core.search import build_search_text
from crm.customers.models import Contact, DealRole
from crm.customers.selectors import customer_to_link
from crm.customers.services import owner_resolve
from crm.deals.errors import MoveRefused, StageRequirementsMissing
from crm.deals.models import (
    ChecklistItem,
    ChecklistTick,
    CloseKind,
    CloseReason,
    Deal,
    DealCollaborator,
    DealContact,
    DealStall,
    Objection,
    ObjectionOutcome,
    ObjectionType,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
    StageTransition,
)
from crm.deals.selectors import deal_get, deal_may_change, pipeline_default, visible_deals
from crm.deals.stage_rules import EVIDENCE_RULES, FIELD_RULES, check_move
from crm.deals.stage_totals import DealShare, stage_totals_change
from crm.identity.models import User
from crm.identity.rights import require_org_admin, user_of

DEAL_FIELDS = ["name", "amount", "currency", "budget", "expected_close_on", "notes", "external_id"]
AUDITED_FIELDS = [*DEAL_FIELDS, "owner", "probability"]
MAX_AMOUNT = Decimal("99999999999999.99")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _money(field: str, raw: Any, *, required: bool) -> Decimal | None:
    if raw in (None, ""):
        if required:
            return Decimal(0)
        return None
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation as exc:
        raise _invalid(field, _("Enter a number.")) from exc
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        raise _invalid(field, _("Enter an amount between 0 and 99,999,999,999,999.99."))
    return value.quantize(Decimal("0.01"))


def _clean(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Deal fields from any channel, checked; raises ValidationFailed naming each bad field."""
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    if "name" in values or not partial:
        name = str(values.get("name") or "").strip()
        if not name:
            errors.append(FieldError("name", _("This field is required.")))
        elif len(name) > 200:
            errors.append(FieldError("name", _("Use at most %(max)d characters.") % {"max": 200}))
        cleaned["name"] = name[:200]
    for field in ("amount", "budget"):
        if field in values:
            try:
                cleaned[field] = _money(field, values[field], required=field == "amount")
            except ValidationFailed as exc:
                errors.extend(exc.errors)
    if "currency" in values:
        currency = str(values.get("currency") or "CNY").strip().upper()
        if len(currency) != 3 or not (currency.isascii() and currency.isalpha()):
            errors.append(FieldError("currency", _("Enter a three-letter currency code such as CNY.")))
        cleaned["currency"] = currency[:3]
    if "expected_close_on" in values:
        raw = values["expected_close_on"]
        if raw in (None, ""):
            cleaned["expected_close_on"] = None
        elif isinstance(raw, dt.date):
            cleaned["expected_close_on"] = raw
        else:
            try:
                cleaned["expected_close_on"] = dt.date.fromisoformat(str(raw))
            except ValueError:
                errors.append(FieldError("expected_close_on", _("Enter a date as YYYY-MM-DD.")))
    if "notes" in values:
        cleaned["notes"] = str(values.get("notes") or "")[:10000]
    if "external_id" in values:
        external_id = str(values.get("external_id") or "").strip()
        cleaned["external_id"] = external_id[:100] or None
    if "probability" in values and values["probability"] not in (None, ""):
        try:
            probability = int(values["probability"])
        except (TypeError, ValueError):
            probability = -1
        if not 0 <= probability <= 100:
            errors.append(FieldError("probability", _("Enter a whole number from 0 to 100.")))
        cleaned["probability"] = probability
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    return cleaned


def _deal_search_text(deal: Deal, customer_name: str) -> str:
    return build_search_text(names=[deal.name, customer_name], others=[deal.external_id or ""])


def _pipeline_of(pipeline_id: Any) -> Pipeline:
    if pipeline_id in (None, ""):
        pipeline = pipeline_default()
    else:
        try:
            pipeline = Pipeline.objects.filter(pk=int(pipeline_id), is_active=True).first()
        except (TypeError, ValueError):
            pipeline = None
    if pipeline is None:
        raise _invalid("pipeline", _("Choose an active pipeline."))
    return pipeline


def _collaborators(ids: Any) -> list[User]:
    try:
        wanted = sorted({int(pk) for pk in ids or []})
    except (TypeError, ValueError) as exc:
        raise _invalid("collaborators", _("Choose active users as collaborators.")) from exc
    users = list(User.objects.filter(pk__in=wanted, is_active=True))
    if len(users) != len(wanted):
        raise _invalid("collaborators", _("Choose active users as collaborators."))
    return users


def _source_lead_id(raw: Any) -> int | None:
    """The lead a deal came from, if it exists (leads sit above deals: looked up through the FK's model)."""
    if raw in (None, ""):
        return None
    lead_model = Deal._meta.get_field("source_lead").related_model
    try:
        lead_id = int(raw)
    except (TypeError, ValueError):
        lead_id = 0
    if lead_model is None or isinstance(lead_model, str) or not lead_model._default_manager.filter(pk=lead_id).exists():
        raise _invalid("source_lead", _("Choose an existing lead."))
    return lead_id


def _check_external_id(external_id: str | None, exclude_pk: int | None) -> None:
    if external_id and Deal.all_objects.filter(external_id=external_id).exclude(pk=exclude_pk or 0).exists():
        raise _invalid("external_id", _("Another record already uses this external ID."))


def _require_change(actor: Actor, deal: Deal) -> None:
    if not deal_may_change(actor, deal):
        raise PermissionDenied(_("You may view this deal but not change it."))


def _conflict(deal_id: int) -> Conflict:
    current = Deal.all_objects.select_related("stage").filter(pk=deal_id).first()
    stage = current.stage.name if current is not None else ""
    return Conflict(
        _(
            "Someone else moved or changed this deal after you opened it; "
            "it is now in “%(stage)s”. Reload and try again."
        )
        % {"stage": stage},
        extra={"stage": stage, "version": current.version if current is not None else None},
    )


# Create, change, delete --------------------------------------------------------------------------


def deal_create(*, actor: Actor, values: dict[str, Any]) -> Deal:
    """Open a deal on a visible customer in the first stage of a pipeline (default: the default one)."""
    if actor.user is None and not actor.is_system:
        raise PermissionDenied(_("Sign in first."))
    cleaned = _clean(values, partial=False)
    with transaction.atomic():
        customer = customer_to_link(viewer=actor, customer_id=values.get("customer_id"))
        pipeline = _pipeline_of(values.get("pipeline_id"))
        stage = Stage.objects.filter(pipeline=pipeline, kind=StageKind.OPEN).order_by("position").first()
        if stage is None:
            raise _invalid("pipeline", _("This pipeline has no open stage."))
        owner = owner_resolve(actor, values.get("owner_id"))
        collaborators = _collaborators(values.get("collaborator_ids"))
        _check_external_id(cleaned.get("external_id"), None)
        now = clock.now()
        probability = cleaned.pop("probability", None)
        deal = Deal(
            **cleaned,
            customer=customer,
            pipeline=pipeline,
            stage=stage,
            furthest_stage=stage,
            probability=stage.probability if probability is None else probability,
            is_probability_manual=probability is not None,
            stage_entered_at=now,
            owner=owner,
            team_id=owner.team_id,
            source_lead_id=_source_lead_id(values.get("source_lead_id")),
        )
        deal.search_text = _deal_search_text(deal, customer.name)
        try:
            deal.save()
        except IntegrityError as exc:
            raise _invalid("external_id", _("Another record already uses this external ID.")) from exc
        stage_totals_change(before=None, after=DealShare.of(deal))
        DealCollaborator.objects.bulk_create([DealCollaborator(deal=deal, user=user) for user in collaborators])
        for item in values.get("contacts") or []:
            _contact_link(deal, item.get("contact_id"), item.get("role", ""))
        StageChange.objects.create(
            deal=deal,
            from_stage=None,
            to_stage=stage,
            moved_at=now,
            moved_by=user_of(actor),
            actor_name=actor.label,
            deal_created_at=deal.created_at,
        )
        after = snapshot(deal, [*AUDITED_FIELDS, "customer", "pipeline", "stage"])
        after["collaborators"] = [user.pk for user in collaborators]
        audit_record(actor=actor, verb=Verb.CREATE, target=deal, changes=diff({}, after))
    return deal


def deal_update(*, actor: Actor, deal_id: int, version: int, values: dict[str, Any]) -> Deal:
    """Change a deal's fields; a hand-set probability is recorded and kept until the next move."""
    cleaned = _clean(values, partial=True)
    with transaction.atomic():
        deal = deal_get(viewer=actor, deal_id=deal_id)
        _require_change(actor, deal)
        if "external_id" in cleaned:
            _check_external_id(cleaned["external_id"], deal.pk)
        fields = list(cleaned.keys())
        before = snapshot(deal, fields)
        share_before = DealShare.of(deal)
        for key, value in cleaned.items():
            setattr(deal, key, value)
        extra: dict[str, Any] = {}
        if "probability" in cleaned:
            deal.is_probability_manual = True
            extra["is_probability_manual"] = True
        if values.get("owner_id") not in (None, ""):
            owner = owner_resolve(actor, values["owner_id"], default_to_actor=False)
            before["owner"] = deal.owner_id
            deal.owner, deal.team_id = owner, owner.team_id
            fields.append("owner")
        after = snapshot(deal, fields)
        if "collaborator_ids" in values:
            collaborators = _collaborators(values["collaborator_ids"])
            before["collaborators"] = sorted(
                DealCollaborator.objects.filter(deal=deal).values_list("user_id", flat=True)
            )
            after["collaborators"] = sorted(user.pk for user in collaborators)
        deal.search_text = _deal_search_text(deal, deal.customer.name)
        extra.update({"search_text": deal.search_text, "team_id": deal.team_id})
        try:
            save_versioned(
                actor=actor, instance=deal, expected_version=version, before=before, after=after, extra_columns=extra
            )
        except Conflict as exc:
            raise _conflict(deal.pk) from exc
        stage_totals_change(before=share_before, after=DealShare.of(deal))
        if "collaborator_ids" in values and after["collaborators"] != before["collaborators"]:
            DealCollaborator.objects.filter(deal=deal).exclude(user_id__in=after["collaborators"]).delete()
            DealCollaborator.objects.bulk_create(
                [DealCollaborator(deal=deal, user_id=pk) for pk in after["collaborators"]], ignore_conflicts=True
            )
    return deal


def _set_deleted(actor: Actor, deal_id: int, *, deleted: bool) -> Deal:
    with transaction.atomic():
        deal = deal_get(viewer=actor, deal_id=deal_id, include_deleted=True)
        if deal.is_deleted == deleted:
            raise NotFound(_("This record does not exist or you may not see it."))
        _require_change(actor, deal)
        now = clock.now()
        deal.deleted_at = now if deleted else None
        # updated_at too: the recycle bin lists the newest deletion first (deal_deleted_updated index).
        # The version too, so a move or edit read before the deletion gets a Conflict rather than
        # changing a deal in the recycle bin. Only the first of two deletions at once changes the row.
        changed = Deal.all_objects.filter(pk=deal.pk, deleted_at__isnull=deleted).update(
            deleted_at=deal.deleted_at, updated_at=now, version=F("version") + 1
        )
        if not changed:
            raise NotFound(_("This record does not exist or you may not see it."))
        # Read again under the row lock just taken: a move may have committed since the read above.
        deal.refresh_from_db(fields=["stage", "amount", "probability", "owner", "team", "version"])
        share = DealShare.of(deal)
        stage_totals_change(before=share if deleted else None, after=None if deleted else share)
        audit_record(actor=actor, verb=Verb.DELETE if deleted else Verb.RESTORE, target=deal)
    return deal


def deal_delete(*, actor: Actor, deal_id: int) -> Deal:
    """Move a deal to the recycle bin; its history stays and it can be restored."""
    return _set_deleted(actor, deal_id, deleted=True)


def deal_restore(*, actor: Actor, deal_id: int) -> Deal:
    return _set_deleted(actor, deal_id, deleted=False)


# Contacts and checklist --------------------------------------------------------------------------


def _contact_link(deal: Deal, contact_id: Any, role: str) -> DealContact:
    if role and role not in DealRole.values:
        raise _invalid("role", _("Choose a role from the list."))
    try:
        contact = Contact.objects.filter(pk=int(contact_id), customer_id=deal.customer_id).first()
    except (TypeError, ValueError):
        contact = None
    if contact is None:
        raise _invalid("contact", _("Choose one of this customer's contacts."))
    link, _created = DealContact.objects.update_or_create(deal=deal, contact=contact, defaults={"role": role})
    return link


def deal_contact_set(*, actor: Actor, deal_id: int, contact_id: Any, role: str) -> DealContact:
    """Add a customer's contact to the deal with their role (or change the role)."""
    with transaction.atomic():
        deal = deal_get(viewer=actor, deal_id=deal_id)
        _require_change(actor, deal)
        link = _contact_link(deal, contact_id, role)
        audit_record(actor=actor, verb=Verb.UPDATE, target=deal, changes={"contact": [None, f"{link.contact}:{role}"]})
    return link


def deal_contact_remove(*, actor: Actor, deal_id: int, contact_id: int) -> None:
    with transaction.atomic():
        deal = deal_get(viewer=actor, deal_id=deal_id)
        _require_change(actor, deal)
        link = DealContact.objects.select_related("contact").filter(deal=deal, contact_id=contact_id).first()
        if link is None:
            raise NotFound(_("This record does not exist or you may not see it."))
        link.delete()
        audit_record(actor=actor, verb=Verb.UPDATE, target=deal, changes={"contact": [str(link.contact), None]})


def checklist_tick(*, actor: Actor, deal_id: int, item_id: int, ticked: bool) -> bool:
    """Tick or untick a checklist item of one of the deal's pipeline stages."""
    with transaction.atomic():
        deal = deal_get(viewer=actor, deal_id=deal_id)
        _require_change(actor, deal)
        item = ChecklistItem.objects.filter(pk=item_id, stage__pipeline_id=deal.pipeline_id).first()
        if item is None:
            raise _invalid("item", _("This checklist item does not belong to the deal's pipeline."))
        if ticked:
            _tick, created = ChecklistTick.objects.get_or_create(
                deal=deal, item=item, defaults={"ticked_by": user_of(actor), "ticked_at": clock.now()}
            )
            changed = created
        else:
            changed = ChecklistTick.objects.filter(deal=deal, item=item).delete()[0] > 0
        if changed:
            audit_record(
                actor=actor, verb=Verb.UPDATE, target=deal, changes={"checklist": [None, f"{item.label}: {ticked}"]}
            )
    return changed


# Moves -------------------------------------------------------------------------------------------


def _furthest(deal: Deal, to_stage: Stage) -> Stage | None:
    """The furthest open or won stage the deal will have been in after entering `to_stage`.

    Only ever forward: lost stages and stages before the furthest one so far leave it as it is. The
    current stage counts too, so a deal written without the column (older rows, bulk loads) catches up.
    """
    furthest = deal.furthest_stage
    for stage in (deal.stage, to_stage):
        if stage.kind != StageKind.LOST and (furthest is None or stage.position > furthest.position):
            furthest = stage
    return furthest


def _stage_of(deal: Deal, stage_id: Any) -> Stage:
    try:
        stage = Stage.objects.filter(pk=int(stage_id), pipeline_id=deal.pipeline_id).first()
    except (TypeError, ValueError):
        stage = None
    if stage is None:
        raise _invalid("stage", _("Choose a stage of this deal's pipeline."))
    return stage


def _close_reason(kind: str, reason_id: Any) -> CloseReason | None:
    if reason_id in (None, ""):
        return None
    try:
        reason = CloseReason.objects.filter(pk=int(reason_id), kind=kind, is_active=True).first()
    except (TypeError, ValueError):
        reason = None
    if reason is None:
        raise _invalid("close_reason", _("Choose a reason from the list."))
    return reason


def deal_move(
    *,
    actor: Actor,
    deal_id: int,
    version: int,
    stage_id: Any,
    override_reason: str = "",
    close_reason_id: Any = None,
    competitor: str = "",
    close_note: str = "",
) -> Deal:
    """Move a deal to another stage when the state machine allows it.

    Refusals list every missing item. Of two people moving the same deal at once, the second
    gets a Conflict: the version check and the history row are written in one transaction.
    """
    override_reason = (override_reason or "").strip()[:500]
    with transaction.atomic():
        deal = deal_get(viewer=actor, deal_id=deal_id)
        _require_change(actor, deal)
        if deal.version != version:
            raise _conflict(deal.pk)
        to_stage = _stage_of(deal, stage_id)
        reason = (
            _close_reason(CloseKind.WON if to_stage.kind == StageKind.WON else CloseKind.LOST, close_reason_id)
            if to_stage.kind != StageKind.OPEN
            else None
        )
        check = check_move(actor=actor, deal=deal, to_stage=to_stage, has_close_reason=reason is not None)
        if check.refusals:
            raise MoveRefused(check.refusals[0].message, check.refusals)
        overridden = False
        if check.missing:
            if not override_reason:
                raise StageRequirementsMissing(
                    _("The deal cannot enter “%(stage)s” yet: %(count)d requirement(s) are not met.")
                    % {"stage": to_stage.name, "count": len(check.missing)},
                    check.missing,
                    may_override=check.may_override,
                )
            if not to_stage.allows_override:
                raise PermissionDenied(_("This stage does not allow its requirements to be overridden."))
            if not check.may_override:
                raise PermissionDenied(_("Only a manager may override a stage's requirements."))
            overridden = True
        elif override_reason:
            override_reason = ""  # nothing to override; keep the history honest
        now = clock.now()
        is_closing = to_stage.kind != StageKind.OPEN
        probability = to_stage.probability
        columns: dict[str, Any] = {
            "stage": to_stage,
            "furthest_stage": _furthest(deal, to_stage),
            "lost_from_stage": deal.stage if to_stage.kind == StageKind.LOST else None,
            "stage_entered_at": now,
            "probability": probability,
            "is_probability_manual": False,
            "closed_at": now if is_closing else None,
            "close_reason": reason,
            "competitor": competitor.strip()[:100] if to_stage.kind == StageKind.LOST else "",
            "close_note": close_note.strip()[:500] if is_closing else "",
            "updated_at": now,
        }
        updated = Deal.all_objects.filter(pk=deal.pk, version=version).update(**columns, version=F("version") + 1)
        if updated == 0:
            raise _conflict(deal.pk)
        stage_totals_change(
            before=DealShare.of(deal),
            after=replace(DealShare.of(deal), stage_id=to_stage.pk, probability=probability),
        )
        # A move restarts the clock: the deal is no longer stalled (the hourly job may flag it anew).
        DealStall.objects.filter(deal_id=deal.pk).delete()
        from_stage = deal.stage
        StageChange.objects.create(
            deal=deal,
            from_stage=from_stage,
            to_stage=to_stage,
            moved_at=now,
            moved_by=user_of(actor),
            actor_name=actor.label[:150],
            time_in_from_stage=now - deal.stage_entered_at,
            override_reason=override_reason if overridden else "",
            deal_created_at=deal.created_at,
        )
        changes: dict[str, Any] = {"stage": [from_stage.pk, to_stage.pk]}
        if deal.probability != probability:
            changes["probability"] = [deal.probability, probability]
        if reason is not None:
            changes["close_reason"] = [None, reason.name]
        if columns["competitor"]:
            changes["competitor"] = ["", columns["competitor"]]
        if overridden:
            changes["override_reason"] = ["", override_reason]
            changes["missing"] = ["", "; ".join(item.message for item in check.missing)]
        for key, value in columns.items():
            setattr(deal, key, value)
        deal.version = version + 1
        audit_record(actor=actor, verb=Verb.UPDATE, target=deal, changes=changes)
    return deal


def _closing_stage(deal: Deal, kind: str) -> Stage:
    stage = Stage.objects.filter(pipeline_id=deal.pipeline_id, kind=kind).order_by("position").first()
    if stage is None:
        raise _invalid("stage", _("This pipeline has no stage for closing deals this way."))
    return stage


def deal_close_won(*, actor: Actor, deal_id: int, version: int, reason_id: Any, note: str = "") -> Deal:
    """Mark a deal won with a reason from the administrators' list."""
    deal = deal_get(viewer=actor, deal_id=deal_id)
    stage = _closing_stage(deal, StageKind.WON)
    return deal_move(
        actor=actor, deal_id=deal_id, version=version, stage_id=stage.pk, close_reason_id=reason_id, close_note=note
    )


def deal_close_lost(
    *, actor: Actor, deal_id: int, version: int, reason_id: Any, competitor: str = "", note: str = ""
) -> Deal:
    """Mark a deal lost with a reason and, when one won, the competitor."""
    deal = deal_get(viewer=actor, deal_id=deal_id)
    stage = _closing_stage(deal, StageKind.LOST)
    return deal_move(
        actor=actor,
        deal_id=deal_id,
        version=version,
        stage_id=stage.pk,
        close_reason_id=reason_id,
        competitor=competitor,
        close_note=note,
    )


def deal_reopen(*, actor: Actor, deal_id: int, version: int) -> Deal:
    """Put a closed deal back into the open stage it was closed from."""
    with transaction.atomic():
        deal = deal_get(viewer=actor, deal_id=deal_id)
        _require_change(actor, deal)
        if deal.version != version:
            raise _conflict(deal.pk)
        if deal.stage.kind == StageKind.OPEN:
            raise _invalid("stage", _("This deal is open already."))
        last = (
            StageChange.objects.filter(deal=deal, to_stage=deal.stage, from_stage__kind=StageKind.OPEN)
            .select_related("from_stage")
            .order_by("-moved_at", "-id")
            .first()
        )
        to_stage = (
            last.from_stage
            if last is not None and last.from_stage is not None
            else Stage.objects.filter(pipeline_id=deal.pipeline_id, kind=StageKind.OPEN).order_by("position").first()
        )
        if to_stage is None:
            raise _invalid("stage", _("This pipeline has no open stage."))
        now = clock.now()
        columns: dict[str, Any] = {
            "stage": to_stage,
            "furthest_stage": _furthest(deal, to_stage),
            "lost_from_stage": None,
            "stage_entered_at": now,
            "probability": to_stage.probability,
            "is_probability_manual": False,
            "closed_at": None,
            "close_reason": None,
            "competitor": "",
            "close_note": "",
            "updated_at": now,
        }
        if Deal.all_objects.filter(pk=deal.pk, version=version).update(**columns, version=F("version") + 1) == 0:
            raise _conflict(deal.pk)
        stage_totals_change(
            before=DealShare.of(deal),
            after=replace(DealShare.of(deal), stage_id=to_stage.pk, probability=to_stage.probability),
        )
        StageChange.objects.create(
            deal=deal,
            from_stage=deal.stage,
            to_stage=to_stage,
            moved_at=now,
            moved_by=user_of(actor),
            actor_name=actor.label[:150],
            time_in_from_stage=now - deal.stage_entered_at,
            deal_created_at=deal.created_at,
        )
        audit_record(
            actor=actor,
            verb=Verb.UPDATE,
            target=deal,
            changes={"stage": [deal.stage_id, to_stage.pk], "close_reason": [str(deal.close_reason or ""), None]},
        )
        for key, value in columns.items():
            setattr(deal, key, value)
        deal.version = version + 1
    return deal


# Pipelines (administrators) ------------------------------------------------------------------------

STANDARD_STAGES = [
    ("初步沟通", StageKind.OPEN, 10, 14),
    ("需求确认", StageKind.OPEN, 25, 21),
    ("方案报价", StageKind.OPEN, 50, 21),
    ("合同谈判", StageKind.OPEN, 75, 14),
    ("签约", StageKind.WON, 100, 0),
    ("输单", StageKind.LOST, 0, 0),
]


def standard_transitions(stages: list[Stage]) -> set[tuple[int, int]]:
    """Forward one step at a time, back anywhere, lost from anywhere, won only from the last open stage."""
    open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
    won = [stage for stage in stages if stage.kind == StageKind.WON]
    lost = [stage for stage in stages if stage.kind == StageKind.LOST]
    moves: set[tuple[int, int]] = set()
    for index, stage in enumerate(open_stages):
        if index + 1 < len(open_stages):
            moves.add((stage.pk, open_stages[index + 1].pk))
        moves.update((stage.pk, earlier.pk) for earlier in open_stages[:index])
        moves.update((stage.pk, closing.pk) for closing in lost)
    if open_stages:
        moves.update((open_stages[-1].pk, closing.pk) for closing in won)
    return moves


def pipeline_create(*, actor: Actor, name: str) -> Pipeline:
    """A new pipeline with the standard stages and moves, for the administrator to adjust."""
    require_org_admin(actor)
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("This field is required."))
    if len(name) > 100:
        raise _invalid("name", _("Use at most %(max)d characters.") % {"max": 100})
    with transaction.atomic():
        if Pipeline.objects.filter(name=name).exists():
            raise _invalid("name", _("A pipeline with this name exists already."))
        position = Pipeline.objects.count()
        pipeline = Pipeline.objects.create(name=name, position=position, is_default=position == 0)
        stages = [
            Stage.objects.create(
                pipeline=pipeline, name=stage_name, kind=kind, probability=probability, expected_days=days, position=i
            )
            for i, (stage_name, kind, probability, days) in enumerate(STANDARD_STAGES)
        ]
        transitions_set(actor=actor, pipeline_id=pipeline.pk, moves=standard_transitions(stages))
        audit_record(actor=actor, verb=Verb.CREATE, target=pipeline, changes={"name": [None, name]})
    return pipeline


def stage_update(*, actor: Actor, stage_id: int, values: dict[str, Any]) -> Stage:
    """Change a stage's name, probability, expected days, requirements, checklist and override setting."""
    require_org_admin(actor)
    errors: list[FieldError] = []
    with transaction.atomic():
        stage = Stage.objects.select_for_update().filter(pk=stage_id).first()
        if stage is None:
            raise NotFound(_("This record does not exist or you may not see it."))
        fields = [
            "name",
            "probability",
            "expected_days",
            "follow_up_days",
            "allows_override",
            "required_fields",
            "required_evidence",
        ]
        before = snapshot(stage, fields)
        before["checklist"] = [item.label for item in stage.checklist.order_by("position", "id")]
        if "name" in values:
            name = str(values["name"] or "").strip()
            if not name or len(name) > 50:
                errors.append(FieldError("name", _("Enter a name of 1 to 50 characters.")))
            stage.name = name[:50]
        for field, top in (("probability", 100), ("expected_days", 3650), ("follow_up_days", 3650)):
            if field in values:
                try:
                    number = int(values[field])
                except (TypeError, ValueError):
                    number = -1
                if not 0 <= number <= top:
                    errors.append(FieldError(field, _("Enter a whole number from 0 to %(max)d.") % {"max": top}))
                else:
                    setattr(stage, field, number)
        if "allows_override" in values:
            stage.allows_override = bool(values["allows_override"])
        if "required_fields" in values:
            stage.required_fields = [code for code in FIELD_RULES if code in set(values["required_fields"] or [])]
        if "required_evidence" in values:
            stage.required_evidence = [
                code for code in EVIDENCE_RULES if code in set(values["required_evidence"] or [])
            ]
        if errors:
            raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
        stage.save()
        after = snapshot(stage, fields)
        if "checklist" in values:
            labels = [str(label).strip()[:200] for label in values["checklist"] or [] if str(label).strip()]
            kept = {item.label: item for item in stage.checklist.all()}
            stage.checklist.exclude(label__in=labels).delete()
            for position, label in enumerate(labels):
                item = kept.get(label)
                if item is None:
                    ChecklistItem.objects.create(stage=stage, label=label, position=position)
                elif item.position != position:
                    ChecklistItem.objects.filter(pk=item.pk).update(position=position)
            after["checklist"] = labels
        else:
            after["checklist"] = before["checklist"]
        audit_record(actor=actor, verb=Verb.UPDATE, target=stage, changes=diff(before, after))
    return stage


def transitions_set(*, actor: Actor, pipeline_id: int, moves: set[tuple[int, int]]) -> int:
    """Replace a pipeline's allowed moves; moves between stages of other pipelines are refused."""
    require_org_admin(actor)
    with transaction.atomic():
        stage_ids = set(Stage.objects.filter(pipeline_id=pipeline_id).values_list("pk", flat=True))
        wanted = {(a, b) for a, b in moves if a != b}
        if any(a not in stage_ids or b not in stage_ids for a, b in wanted):
            raise _invalid("moves", _("Moves may only join stages of this pipeline."))
        closed = set(
            Stage.objects.filter(pipeline_id=pipeline_id).exclude(kind=StageKind.OPEN).values_list("pk", flat=True)
        )
        if any(a in closed for a, _b in wanted):
            raise _invalid("moves", _("Closed deals leave a won or lost stage only by being reopened."))
        existing = set(
            StageTransition.objects.filter(from_stage__pipeline_id=pipeline_id).values_list(
                "from_stage_id", "to_stage_id"
            )
        )
        for from_id, to_id in existing - wanted:
            StageTransition.objects.filter(from_stage_id=from_id, to_stage_id=to_id).delete()
        StageTransition.objects.bulk_create(
            [StageTransition(from_stage_id=a, to_stage_id=b) for a, b in sorted(wanted - existing)]
        )
        if existing != wanted:
            pipeline = Pipeline.objects.get(pk=pipeline_id)
            audit_record(
                actor=actor,
                verb=Verb.UPDATE,
                target=pipeline,
                changes={"moves": [sorted(map(list, existing)), sorted(map(list, wanted))]},
            )
    return len(wanted)


def deal_bulk_change_owner(*, actor: Actor, deal_ids: list[int], owner_id: Any) -> tuple[int, int]:
    """Hand the chosen deals to another owner; deals the actor may not see or change are skipped.

    Returns (changed, skipped). Each change is audited on its deal, like a single edit.
    """
    owner = owner_resolve(actor, owner_id, default_to_actor=False)
    wanted = sorted(set(deal_ids))[:500]
    changed = unchanged = 0
    with transaction.atomic():
        for deal in visible_deals(actor, Deal.objects.filter(pk__in=wanted)).select_for_update().order_by("pk"):
            if not deal_may_change(actor, deal):
                continue
            if deal.owner_id == owner.pk:
                unchanged += 1
                continue
            before = {"owner": deal.owner_id}
            share_before = DealShare.of(deal)
            deal.owner, deal.team_id = owner, owner.team_id
            save_versioned(
                actor=actor,
                instance=deal,
                expected_version=deal.version,
                before=before,
                after={"owner": owner.pk},
                extra_columns={"team_id": owner.team_id},
            )
            stage_totals_change(before=share_before, after=DealShare.of(deal))
            changed += 1
    return changed, len(wanted) - changed - unchanged


# Objections ----------------------------------------------------------------------------------------


def objection_log(*, actor: Actor, deal_id: int, values: dict[str, Any]) -> Objection:
    """Record a customer's objection on a deal at its current stage, with the answer given."""
    errors: list[FieldError] = []
    words = str(values.get("customer_words") or "").strip()
    if not words:
        errors.append(FieldError("customer_words", _("Write what the customer said.")))
    response = str(values.get("response") or "").strip()
    outcome = str(values.get("outcome") or ObjectionOutcome.OPEN)
    if outcome not in ObjectionOutcome.values:
        errors.append(FieldError("outcome", _("Choose an outcome from the list.")))
    try:
        kind = ObjectionType.objects.filter(pk=int(values.get("kind_id") or 0), is_active=True).first()
    except (TypeError, ValueError):
        kind = None
    if kind is None:
        errors.append(FieldError("kind_id", _("Choose an objection type.")))
    if errors or kind is None:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    with transaction.atomic():
        deal = deal_get(viewer=actor, deal_id=deal_id)
        _require_change(actor, deal)
        objection = Objection.objects.create(
            deal=deal,
            stage=deal.stage,
            kind=kind,
            customer_words=words[:5000],
            response=response[:5000],
            outcome=outcome,
            raised_at=clock.now(),
            logged_by=user_of(actor),
        )
        audit_record(
            actor=actor,
            verb=Verb.CREATE,
            target=objection,
            changes=diff({}, snapshot(objection, ["deal", "stage", "kind", "customer_words", "response", "outcome"])),
        )
    return objection


def objection_set_outcome(*, actor: Actor, objection_id: int, outcome: str, response: str | None = None) -> Objection:
    """Record how an objection ended (and, if given, the answer that was tried)."""
    if outcome not in ObjectionOutcome.values:
        raise _invalid("outcome", _("Choose an outcome from the list."))
    with transaction.atomic():
        objection = Objection.objects.select_related("deal").filter(pk=objection_id).first()
        if objection is None:
            raise NotFound(_("This record does not exist or you may not see it."))
        deal = deal_get(viewer=actor, deal_id=objection.deal_id)
        _require_change(actor, deal)
        fields = ["outcome", "response"]
        before = snapshot(objection, fields)
        objection.outcome = outcome
        if response is not None:
            objection.response = response.strip()[:5000]
        objection.save(update_fields=[*fields, "updated_at"])
        audit_record(actor=actor, verb=Verb.UPDATE, target=objection, changes=diff(before, snapshot(objection, fields)))
    return objection
