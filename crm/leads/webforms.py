"""Campaigns and their public web forms: set-up by administrators, and anonymous submissions.

A submission arrives without a signed-in user, so it creates its lead through `lead_create`
acting as a named system process; the audit log then says which form wrote the lead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, snapshot
from crm.core import clock
from crm.core.actors import Actor, system_actor
from crm.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from crm.core.params import date_param
from crm.customers.duplicates.check import duplicate_collisions_notify
from crm.identity.models import Team, User
from crm.identity.rights import require_org_admin
from crm.leads.models import WEBFORM_FIELDS, Campaign, Channel, Lead, WebForm, WebFormHit
from crm.leads.services import lead_create

CAMPAIGN_FIELDS = ["name", "channel", "starts_on", "ends_on", "owner", "team", "is_active"]
FORM_FIELDS = [
    "campaign",
    "title",
    "intro",
    "fields",
    "required_fields",
    "consent_text",
    "thank_you_message",
    "redirect_url",
    "is_active",
]
HONEYPOT_FIELD = "website_url"
FORM_TOKEN_FIELD = "form_token"  # noqa: S105  (a field name, not a secret)
CONSENT_FIELD = "consent"
# A generous cap on what one submission may carry; anything bigger is not a person typing.
MAX_VALUE_LENGTH = 2000


class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def ip_limit() -> int:
    return int(getattr(settings, "CRM_WEBFORM_LIMIT_PER_IP", 10))


def form_limit() -> int:
    return int(getattr(settings, "CRM_WEBFORM_LIMIT_PER_FORM", 500))


def limit_window() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "CRM_WEBFORM_WINDOW_MINUTES", 60)))


# Administration ---------------------------------------------------------------------------


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("owner", "team").prefetch_related("web_forms")


def campaign_names() -> list[str]:
    return list(Campaign.objects.order_by("name").values_list("name", flat=True))


def campaign_get(campaign_id: int) -> Campaign:
    campaign: Campaign | None = Campaign.objects.select_related("owner", "team").filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("This campaign does not exist."))
    return campaign


def webform_get(form_id: int) -> WebForm:
    form: WebForm | None = WebForm.objects.select_related("campaign").filter(pk=form_id).first()
    if form is None:
        raise NotFound(_("This web form does not exist."))
    return form


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return date_param(str(value)) if value else None


def _campaign_values(values: dict[str, Any]) -> dict[str, Any]:
    name = str(values.get("name") or "").strip()
    if not name:
        raise _invalid("name", _("This field is required."))
    if len(name) > 100:
        raise _invalid("name", _("Use at most %(max)d characters.") % {"max": 100})
    channel = str(values.get("channel") or Channel.WEB_FORM)
    if channel not in Channel.values:
        raise _invalid("channel", _("“%(value)s” is not one of the available choices.") % {"value": channel})
    starts_on, ends_on = _date(values.get("starts_on")), _date(values.get("ends_on"))
    if starts_on and ends_on and ends_on < starts_on:
        raise _invalid("ends_on", _("The end date must not be before the start date."))
    owner = User.objects.filter(pk=values.get("owner_id") or 0, is_active=True).first()
    if owner is None:
        raise _invalid("owner_id", _("Choose an active user as the owner."))
    team = Team.objects.filter(pk=values.get("team_id") or 0).first() if values.get("team_id") else None
    return {
        "name": name,
        "channel": channel,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "owner": owner,
        "team": team,
        "is_active": bool(values.get("is_active")),
    }


def campaign_save(*, actor: Actor, values: dict[str, Any], campaign_id: int | None = None) -> Campaign:
    """Create a campaign, or change one; only administrators may."""
    require_org_admin(actor)
    cleaned = _campaign_values(values)
    with transaction.atomic():
        if Campaign.objects.filter(name=cleaned["name"]).exclude(pk=campaign_id or 0).exists():
            raise _invalid("name", _("Another campaign already has this name."))
        campaign = Campaign() if campaign_id is None else campaign_get(campaign_id)
        before = {} if campaign_id is None else snapshot(campaign, CAMPAIGN_FIELDS)
        old_name = campaign.name
        for key, value in cleaned.items():
            setattr(campaign, key, value)
        campaign.updated_at = clock.now()
        campaign.save()
        if old_name and old_name != campaign.name:
            # Leads record the campaign by name; a rename follows them so reports stay whole.
            Lead.all_objects.filter(campaign=old_name).update(campaign=campaign.name)
        audit_record(
            actor=actor,
            verb=Verb.CREATE if campaign_id is None else Verb.UPDATE,
            target=campaign,
            changes=diff(before, snapshot(campaign, CAMPAIGN_FIELDS)),
        )
    return campaign


def _form_values(values: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    title = str(values.get("title") or "").strip()
    if not title:
        errors.append(FieldError("title", _("This field is required.")))
    consent = str(values.get("consent_text") or "").strip()
    if not consent:
        errors.append(FieldError("consent_text", _("Say what the visitor agrees to; the form asks for consent.")))
    asked = [field for field in WEBFORM_FIELDS if field in set(values.get("fields") or []) | {"name"}]
    required = [field for field in asked if field in set(values.get("required_fields") or []) | {"name"}]
    redirect_url = str(values.get("redirect_url") or "").strip()
    if redirect_url and not redirect_url.startswith(("https://", "http://")):
        errors.append(FieldError("redirect_url", _("Enter a full address starting with https://.")))
    campaign = Campaign.objects.filter(pk=values.get("campaign_id") or 0).first()
    if campaign is None:
        errors.append(FieldError("campaign_id", _("Choose a campaign.")))
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    return {
        "campaign": campaign,
        "title": title[:100],
        "intro": str(values.get("intro") or "").strip()[:500],
        "fields": asked,
        "required_fields": required,
        "consent_text": consent[:1000],
        "thank_you_message": str(values.get("thank_you_message") or "").strip()[:1000],
        "redirect_url": redirect_url[:500],
        "is_active": bool(values.get("is_active")),
    }


def webform_save(*, actor: Actor, values: dict[str, Any], form_id: int | None = None) -> WebForm:
    """Create a web form for a campaign, or change one; only administrators may."""
    require_org_admin(actor)
    cleaned = _form_values(values)
    with transaction.atomic():
        form = WebForm() if form_id is None else webform_get(form_id)
        before = {} if form_id is None else snapshot(form, FORM_FIELDS)
        for key, value in cleaned.items():
            setattr(form, key, value)
        form.updated_at = clock.now()
        form.save()
        audit_record(
            actor=actor,
            verb=Verb.CREATE if form_id is None else Verb.UPDATE,
            target=form,
            changes=diff(before, snapshot(form, FORM_FIELDS)),
        )
    return form


# The public side ---------------------------------------------------------------------------


def webform_public(token: str) -> WebForm:
    """The form at a public address, if it and its campaign are open today; NotFound otherwise."""
    form: WebForm | None = (
        WebForm.objects.select_related("campaign")
        .filter(token=token[:64], is_active=True, campaign__is_active=True)
        .first()
    )
    today = clock.today()
    if form is None or (form.campaign.starts_on and form.campaign.starts_on > today):
        raise NotFound(_("This form is not available."))
    if form.campaign.ends_on and form.campaign.ends_on < today:
        raise NotFound(_("This form is not available."))
    return form


def snippet_token(form: WebForm) -> str:
    """The hidden value an embedded snippet sends, proving it was copied from the admin screen."""
    key = f"crm.leads.webform:{settings.SECRET_KEY}".encode()
    return hmac.new(key, form.token.encode(), hashlib.sha256).hexdigest()[:32]


def snippet_token_matches(form: WebForm, value: str) -> bool:
    return hmac.compare_digest(snippet_token(form), str(value or ""))


@dataclass(frozen=True)
class Visitor:
    ip_address: str | None
    user_agent: str
    referrer: str


def _throttle(form: WebForm, visitor: Visitor) -> None:
    """Count this attempt; refuse it when this address or this form is over its limit."""
    since = clock.now() - limit_window()
    WebFormHit.objects.filter(form=form, created_at__lt=since).delete()
    per_ip = WebFormHit.objects.filter(ip_address=visitor.ip_address, created_at__gte=since).count()
    per_form = WebFormHit.objects.filter(form=form, created_at__gte=since).count()
    if per_ip >= ip_limit() or per_form >= form_limit():
        raise RateLimited(_("Too many submissions from here. Please wait a while and try again."))
    WebFormHit.objects.create(form=form, ip_address=visitor.ip_address)


def _intake_owner(campaign: Campaign) -> User | None:
    """The campaign's owner; if they left, their team's manager, else any active administrator."""
    if campaign.owner.is_active:
        return campaign.owner
    if campaign.team_id:
        manager = User.objects.filter(team_id=campaign.team_id, is_team_manager=True, is_active=True).first()
        if manager is not None:
            return manager
    return (
        User.objects.filter(is_active=True, role__can_manage_org=True).order_by("id").first()
        or User.objects.filter(is_active=True, is_superuser=True).order_by("id").first()
    )


def _submitted_values(form: WebForm, data: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    errors: list[FieldError] = []
    for field in form.asked_fields:
        value = str(data.get(field) or "").strip()
        if len(value) > MAX_VALUE_LENGTH:
            errors.append(FieldError(field, _("Use at most %(max)d characters.") % {"max": MAX_VALUE_LENGTH}))
        elif field in form.mandatory_fields and not value:
            errors.append(FieldError(field, _("This field is required.")))
        values[field] = value
    if not data.get(CONSENT_FIELD):
        errors.append(FieldError(CONSENT_FIELD, _("Please tick the box to agree before sending.")))
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    return values


def webform_submit(*, form: WebForm, data: dict[str, Any], visitor: Visitor) -> Lead | None:
    """Turn one public submission into a new lead; None when it was dropped as spam.

    Every attempt counts towards the rate limit, spam included, so a bot filling the hidden
    field cannot flood the table either. A filled honeypot looks accepted to the sender.
    """
    _throttle(form, visitor)
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        WebForm.objects.filter(pk=form.pk).update(spam_count=F("spam_count") + 1)
        return None
    values = _submitted_values(form, data)
    owner = _intake_owner(form.campaign)
    now = clock.now()
    raw = {
        "fields": values,
        "form_id": form.pk,
        "form_title": form.title,
        "campaign_id": form.campaign_id,
        "ip_address": visitor.ip_address,
        "user_agent": visitor.user_agent[:500],
        "referrer": visitor.referrer[:500],
        "consent": {"given": True, "text": form.consent_text, "at": now.isoformat()},
        "submitted_at": now.isoformat(),
    }
    actor = system_actor(f"web form {form.pk}")
    lead_values = {
        **{key: value for key, value in values.items() if value},
        "channel": Channel.WEB_FORM,
        "campaign": form.campaign.name,
        "raw_submission": raw,
        "owner_id": owner.pk if owner is not None else None,
    }
    with transaction.atomic():
        lead = lead_create(actor=actor, values=lead_values)
        # A prospect is never turned away as a duplicate, but the owners of matching records hear of it.
        duplicate_collisions_notify(actor=actor, object_type="leads", values=lead_values, exclude_id=lead.pk)
        WebForm.objects.filter(pk=form.pk).update(submission_count=F("submission_count") + 1)
    return lead
