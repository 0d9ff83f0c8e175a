"""Every write to leads: capture, edit, status, recycle bin and conversion."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from crm.access.visibility import masks_contact_info, require_change, require_visible
from crm.activities.services.tasks import task_create
from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor, Source
from crm.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from crm.core.search import build_search_text
from crm.customers.duplicates.check import duplicate_check, duplicate_check_edit
from crm.customers.duplicates.normalise import company_key
from crm.customers.models import Contact, Customer, CustomerSource
from crm.customers.presentation import conflict_rows
from crm.customers.services import (
    contact_create,
    customer_create,
    owned_create_many,
    owned_delete_many,
    owned_update_many,
    owner_resolve,
)
from crm.customers.validation import clean_fields
from crm.deals.services import deal_create
from crm.identity.rights import user_of
from crm.leads.intake import LeadIntake, lead_intake, lead_rescore
from crm.leads.models import Channel, Lead, LeadFollowUp, LeadStatus
from crm.leads.validation import follow_up_cleaners, lead_cleaners, status_cleaners

LEAD_FIELDS = [*lead_cleaners().keys(), "owner", "status", "unqualified_reason"]
MASKED_FIELDS = {"phone", "mobile", "email"}
SETTABLE_STATUSES = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.UNQUALIFIED]
# The customer's source, for the lead channels that have one.
CUSTOMER_SOURCE_OF_CHANNEL = {
    Channel.WEB_FORM: CustomerSource.WEBSITE,
    Channel.EVENT: CustomerSource.EXHIBITION,
    Channel.REFERRAL: CustomerSource.REFERRAL,
    Channel.ADVERTISING: CustomerSource.ADVERTISING,
}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _search_text(lead: Lead) -> str:
    return build_search_text(
        names=[lead.name, lead.company_name],
        phones=[lead.mobile, lead.phone],
        others=[lead.email, lead.wechat],
    )


def _check_external_id(external_id: str | None, exclude_pk: int | None) -> None:
    if external_id and Lead.all_objects.filter(external_id=external_id).exclude(pk=exclude_pk or 0).exists():
        raise _invalid("external_id", _("Another record already uses this external ID."))


def _refuse_masked_changes(actor: Actor, lead: Lead, values: dict[str, Any]) -> None:
    """A viewer who sees phone/email masked cannot overwrite what they cannot read."""
    if not masks_contact_info(actor, owner_id=lead.owner_id):
        return
    for field in MASKED_FIELDS & values.keys():
        if values[field] != getattr(lead, field):
            raise _invalid(field, _("You may not change this field of a record you do not own."))


@contextmanager
def _conflict_shown_to(actor: Actor, lead: Lead) -> Iterator[None]:
    """A refused editor sees what changed as they may see it: labelled, contact details masked."""
    try:
        yield
    except Conflict as exc:
        exc.extra["changes"] = conflict_rows(actor, cast(Any, lead), exc.extra.get("changes", []))
        raise


def _default_channel(actor: Actor) -> str:
    return {Source.API: Channel.API, Source.IMPORT: Channel.IMPORT}.get(actor.source, Channel.MANUAL)


def lead_create(*, actor: Actor, values: dict[str, Any], allow_duplicates: bool = False) -> Lead:
    """Capture a lead owned by `values['owner_id']` (default: the actor), always as new.

    Likely duplicates (leads, customers, contacts) are refused per the duplicate policy;
    `allow_duplicates` confirms a warning.
    """
    if actor.user is None and not actor.is_system:
        raise PermissionDenied(_("Sign in first."))
    cleaned = clean_fields(values, lead_cleaners())
    if "name" not in cleaned:
        raise _invalid("name", _("This field is required."))
    cleaned["channel"] = cleaned.get("channel") or _default_channel(actor)
    owner = owner_resolve(actor, values.get("owner_id"))
    duplicate_check(actor=actor, object_type="leads", values=cleaned, allow_duplicates=allow_duplicates)
    with transaction.atomic():
        _check_external_id(cleaned.get("external_id"), None)
        lead = Lead(**cleaned, owner=owner, team_id=owner.team_id)
        _lead_derive(lead)
        try:
            lead.save()
        except IntegrityError as exc:
            raise _invalid("external_id", _("Another record already uses this external ID.")) from exc
        audit_record(actor=actor, verb=Verb.CREATE, target=lead, changes=diff({}, snapshot(lead, LEAD_FIELDS)))
        # Assignment rules decide the owner unless a person chose one (a system intake's owner is a fallback).
        lead_intake(actor=actor, leads=[lead], assign=actor.is_system or values.get("owner_id") in (None, ""))
    return lead


def lead_update(
    *, actor: Actor, lead_id: int, version: int, values: dict[str, Any], allow_duplicates: bool = False
) -> Lead:
    """Change a lead the actor may edit; refused with a Conflict if it changed meanwhile."""
    cleaned = clean_fields(values, lead_cleaners())
    if "channel" in cleaned and not cleaned["channel"]:
        del cleaned["channel"]
    duplicate_check_edit(
        actor=actor, object_type="leads", record_id=lead_id, values=cleaned, allow_duplicates=allow_duplicates
    )
    with transaction.atomic():
        lead = require_visible(actor, Lead.objects.filter(pk=lead_id).first())
        require_change(actor, lead)
        _refuse_masked_changes(actor, lead, cleaned)
        if "external_id" in cleaned:
            _check_external_id(cleaned["external_id"], lead.pk)
        fields = [*cleaned.keys()]
        if "owner_id" in values:
            fields.append("owner")
        before = snapshot(lead, fields)
        for key, value in cleaned.items():
            setattr(lead, key, value)
        if "owner_id" in values:
            owner = owner_resolve(actor, values["owner_id"], default_to_actor=False)
            lead.owner, lead.team_id = owner, owner.team_id
        _lead_derive(lead)
        with _conflict_shown_to(actor, lead):
            save_versioned(
                actor=actor,
                instance=lead,
                expected_version=version,
                before=before,
                after=snapshot(lead, fields),
                extra_columns={"search_text": lead.search_text, "name_key": lead.name_key, "team_id": lead.team_id},
            )
        lead_rescore(leads=[lead])
    return lead


def lead_set_status(*, actor: Actor, lead_id: int, status: str, reason: str = "", version: int | None = None) -> Lead:
    """Move a lead to another status; "unqualified" needs a reason, "converted" needs lead_convert."""
    cleaned = clean_fields({"status": status, "unqualified_reason": reason}, status_cleaners())
    status, reason = cleaned["status"], cleaned["unqualified_reason"]
    if status not in SETTABLE_STATUSES:
        raise _invalid("status", _("Choose new, contacted, qualified or unqualified; convert a lead to convert it."))
    if status == LeadStatus.UNQUALIFIED and not reason:
        raise _invalid("unqualified_reason", _("Say why this lead is unqualified."))
    with transaction.atomic():
        lead = require_visible(actor, Lead.objects.filter(pk=lead_id).first())
        require_change(actor, lead)
        if lead.is_converted:
            raise _invalid("status", _("This lead has been converted; its status can no longer change."))
        fields = ["status", "unqualified_reason"]
        before = snapshot(lead, fields)
        lead.status = status
        lead.unqualified_reason = reason if status == LeadStatus.UNQUALIFIED else ""
        if status != LeadStatus.NEW and lead.first_contacted_at is None:
            # The first move away from "new" is the first contact (channel quality reports it).
            fields.append("first_contacted_at")
            before["first_contacted_at"] = None
            lead.first_contacted_at = clock.now()
        with _conflict_shown_to(actor, lead):
            save_versioned(
                actor=actor,
                instance=lead,
                expected_version=lead.version if version is None else version,
                before=before,
                after=snapshot(lead, fields),
            )
        lead_rescore(leads=[lead])
    return lead


def _visible_customer(actor: Actor, customer_id: int) -> Customer:
    try:
        return require_visible(actor, Customer.objects.filter(pk=customer_id).first())
    except NotFound as exc:
        raise _invalid("customer_id", _("Choose a customer you can see.")) from exc


def _visible_contact(actor: Actor, contact_id: int) -> Contact:
    try:
        return require_visible(actor, Contact.objects.select_related("customer").filter(pk=contact_id).first())
    except NotFound as exc:
        raise _invalid("contact_id", _("Choose a contact you can see.")) from exc


def lead_convert(
    *,
    actor: Actor,
    lead_id: int,
    customer_id: int | None = None,
    contact_id: int | None = None,
    deal: dict[str, Any] | None = None,
) -> Lead:
    """Turn a lead into a contact at a new customer, or at an existing one the actor can see.

    With `contact_id` the lead is linked to that existing contact (and its customer) instead of
    creating one: the duplicate check found the person already in the CRM. With `deal` (name,
    amount, pipeline_id, expected_close_on; all optional) a deal is opened on the customer too,
    its source being this lead.

    The customer, the contact and the lead's new state are written in one transaction; a lead
    is converted once only, even when two people press the button at the same moment.
    """
    already = _("This lead has already been converted.")
    with transaction.atomic():
        lead = require_visible(actor, Lead.objects.filter(pk=lead_id).first())
        require_change(actor, lead)
        if lead.is_converted:
            raise ValidationFailed(already)
        existing_contact = _visible_contact(actor, contact_id) if contact_id is not None else None
        if existing_contact is not None and existing_contact.customer_id is not None:
            if customer_id is not None and customer_id != existing_contact.customer_id:
                raise _invalid("contact_id", _("This contact works at another customer than the one chosen."))
            customer_id = existing_contact.customer_id
        if customer_id is not None:
            customer = _visible_customer(actor, customer_id)
        else:
            customer = customer_create(
                actor=actor,
                values={
                    "name": lead.company_name or lead.name,
                    "industry": lead.industry,
                    "province": lead.province,
                    "city": lead.city,
                    "annual_revenue": lead.annual_revenue,
                    "revenue_currency": "CNY",
                    "phone": lead.phone,
                    "source": CUSTOMER_SOURCE_OF_CHANNEL.get(Channel(lead.channel), CustomerSource.OTHER),
                    "notes": lead.notes,
                    "owner_id": lead.owner_id,
                },
                # The lead itself matches what it becomes; linking instead is the converter's choice.
                allow_duplicates=True,
            )
        contact = existing_contact or contact_create(
            actor=actor,
            values={
                "name": lead.name,
                "title": lead.title,
                "mobile": lead.mobile,
                "phone": lead.phone,
                "email": lead.email,
                "wechat": lead.wechat,
                "customer_id": customer.pk,
                "owner_id": lead.owner_id,
            },
            allow_duplicates=True,
        )
        fields = ["status", "converted_customer", "converted_contact", "converted_at"]
        before = snapshot(lead, fields)
        now = clock.now()
        updated = (
            Lead.objects.filter(pk=lead.pk)
            .exclude(status=LeadStatus.CONVERTED)
            .update(
                status=LeadStatus.CONVERTED,
                converted_customer=customer,
                converted_contact=contact,
                converted_at=now,
                first_contacted_at=Coalesce(F("first_contacted_at"), Value(now)),
                updated_at=now,
                version=F("version") + 1,
            )
        )
        if updated == 0:
            # Someone converted it between our read and our write: undo the customer and contact.
            raise ValidationFailed(already)
        lead.status, lead.converted_at, lead.updated_at = LeadStatus.CONVERTED, now, now
        lead.converted_customer, lead.converted_contact = customer, contact
        lead.version += 1
        audit_record(actor=actor, verb=Verb.UPDATE, target=lead, changes=diff(before, snapshot(lead, fields)))
        if deal is not None:
            deal_create(
                actor=actor,
                values={
                    "name": str(deal.get("name") or "").strip() or lead.company_name or lead.name,
                    "amount": deal.get("amount") or 0,
                    "pipeline_id": deal.get("pipeline_id"),
                    "expected_close_on": deal.get("expected_close_on"),
                    "customer_id": customer.pk,
                    "owner_id": lead.owner_id,
                    "source_lead_id": lead.pk,
                },
            )
    return lead


def _set_binned(actor: Actor, lead_id: int, *, binned: bool) -> Lead:
    """Move a lead into the recycle bin or back out of it, audited; the row itself stays."""
    with transaction.atomic():
        candidates = Lead.all_objects.filter(pk=lead_id, deleted_at__isnull=binned)
        lead = require_visible(actor, candidates.first())
        require_change(actor, lead)
        lead.deleted_at = clock.now() if binned else None
        Lead.all_objects.filter(pk=lead.pk).update(deleted_at=lead.deleted_at)
        audit_record(actor=actor, verb=Verb.DELETE if binned else Verb.RESTORE, target=lead)
    return lead


def lead_delete(*, actor: Actor, lead_id: int) -> Lead:
    """Move a lead to the recycle bin; it stays restorable."""
    return _set_binned(actor, lead_id, binned=True)


def lead_restore(*, actor: Actor, lead_id: int) -> Lead:
    return _set_binned(actor, lead_id, binned=False)


# Follow-ups ---------------------------------------------------------------------------------

FOLLOW_UP_FIELDS = ["kind", "content", "occurred_at", "next_step", "next_contact_on", "lead"]


def lead_follow_up_create(*, actor: Actor, lead_id: int, values: dict[str, Any]) -> LeadFollowUp:
    """Log a call, visit, meeting, message or note on a lead anyone who sees it may work.

    The lead's last follow-up (read by engagement scoring) and, the first time, its first contact
    are kept up to date, and it is rescored at once. A next-contact date becomes a task for the
    rep, linked to the lead. A converted lead takes no more follow-ups: its customer does.
    """
    user = user_of(actor)
    if user is None:
        raise PermissionDenied(_("Sign in first."))
    cleaned = clean_fields({key: values.get(key) for key in follow_up_cleaners()}, follow_up_cleaners())
    with transaction.atomic():
        lead = require_visible(actor, Lead.objects.select_for_update().filter(pk=lead_id).first())
        if lead.is_converted:
            raise _invalid("lead", _("This lead has been converted; log follow-ups on its customer."))
        follow_up = LeadFollowUp(**cleaned, lead=lead, owner=user, team_id=user.team_id)
        follow_up.save()
        # A follow-up is a touch (lists sorted by "last updated" show it), but not an edit of the
        # lead's fields: no version bump, so a colleague's open edit form does not conflict.
        touched: dict[str, Any] = {"updated_at": clock.now()}
        if lead.last_followed_up_at is None or follow_up.occurred_at > lead.last_followed_up_at:
            touched["last_followed_up_at"] = follow_up.occurred_at
        if lead.first_contacted_at is None:
            # A call logged as having happened before the lead was entered counts from its capture.
            touched["first_contacted_at"] = max(follow_up.occurred_at, lead.created_at)
        Lead.objects.filter(pk=lead.pk).update(**touched)
        for name, value in touched.items():
            setattr(lead, name, value)
        if follow_up.next_contact_on is not None:
            task_create(
                actor=actor,
                values={
                    "title": (follow_up.next_step or follow_up.content)[:200],
                    "due_on": follow_up.next_contact_on,
                    "related_type": "leads.lead",
                    "related_id": lead.pk,
                },
            )
        audit_record(
            actor=actor,
            verb=Verb.CREATE,
            target=follow_up,
            changes=diff({}, snapshot(follow_up, FOLLOW_UP_FIELDS)),
        )
        lead_rescore(leads=[lead])
    return follow_up


# Bulk writes (imports) -------------------------------------------------------------------


def _lead_derive(lead: Lead) -> None:
    lead.search_text = _search_text(lead)
    # The duplicate-check key of a lead is its company's, so an import can match on it.
    lead.name_key = company_key(lead.company_name)


def lead_create_many(*, actor: Actor, drafts: Sequence[dict[str, Any]], assign: bool = True) -> list[Lead]:
    """Capture many leads at once from cleaned values (lead_cleaners) plus `owner_id`, always as new.

    `assign=False` keeps the given owners (an import that maps an owner column).
    """
    rows = [{**draft, "channel": draft.get("channel") or _default_channel(actor)} for draft in drafts]
    with transaction.atomic():
        # Entry criteria → score → assignment decided before the insert, so the rows go in once, final;
        # each lead's create audit entry then records its status, owner and why it got that owner.
        intake = LeadIntake.start(actor=actor, assign=assign)

        def derive(lead: Lead) -> None:
            _lead_derive(lead)
            intake.decide(lead)

        created = owned_create_many(
            actor=actor, model=Lead, drafts=rows, audit_fields=[*LEAD_FIELDS, "assignment_reason"], derive=derive
        )
        intake.finish(audit=False)
    return created


def lead_update_many(*, actor: Actor, changes: Sequence[tuple[Lead, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Change leads read earlier with cleaned values; returns the old values per lead."""
    if any(lead.is_converted for lead, _values in changes):
        raise _invalid("status", _("This lead has been converted; its status can no longer change."))
    return owned_update_many(
        actor=actor, model=Lead, changes=changes, derive=_lead_derive, derived_columns=["search_text", "name_key"]
    )


def lead_delete_many(*, actor: Actor, versions: dict[int, int]) -> int:
    """Move leads to the recycle bin, each only if nobody changed it since `versions` was read."""
    return owned_delete_many(actor=actor, model=Lead, versions=versions)
