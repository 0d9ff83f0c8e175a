"""How leads are shown: list columns and masked contact details, shared by list, export and API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.access.visibility import masks_contact_info
from crm.core.actors import Actor
from crm.core.phone import display_phone, mask_email, mask_phone
from crm.customers.presentation import Column
from crm.leads.models import Lead


def shown_phone(viewer: Actor, lead: Lead, value: str) -> str:
    if masks_contact_info(viewer, owner_id=lead.owner_id):
        return mask_phone(value)
    return display_phone(value)


def shown_email(viewer: Actor, lead: Lead, value: str) -> str:
    if masks_contact_info(viewer, owner_id=lead.owner_id):
        return mask_email(value)
    return value


def _datetime(value: Any) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


LEAD_COLUMNS: Sequence[Column] = (
    Column("name", pgettext_lazy("person", "Name"), lambda v, c: c.name, sortable="name"),
    Column("company_name", _("Company"), lambda v, c: c.company_name),
    Column("status", _("Status"), lambda v, c: str(c.get_status_display())),
    Column("channel", _("Lead source"), lambda v, c: str(c.get_channel_display())),
    Column("score", _("Score"), lambda v, c: str(c.score), default=False),
    Column("campaign", _("Campaign"), lambda v, c: c.campaign),
    Column("mobile", _("Mobile"), lambda v, c: shown_phone(v, c, c.mobile)),
    Column("email", _("Email"), lambda v, c: shown_email(v, c, c.email), default=False),
    Column("owner", _("Owner"), lambda v, c: str(c.owner)),
    Column("region", _("Region"), lambda v, c: c.region, default=False),
    Column("industry", _("Industry"), lambda v, c: c.industry, default=False),
    Column("title", _("Job title"), lambda v, c: c.title, default=False),
    Column("phone", _("Phone"), lambda v, c: shown_phone(v, c, c.phone), default=False),
    Column("wechat", _("WeChat"), lambda v, c: c.wechat, default=False),
    Column("team", _("Team"), lambda v, c: str(c.team or ""), default=False),
    Column("external_id", _("External ID"), lambda v, c: c.external_id or "", default=False),
    Column("created_at", _("Created"), lambda v, c: _datetime(c.created_at), sortable="created_at"),
    Column("updated_at", _("Updated"), lambda v, c: _datetime(c.updated_at), default=False, sortable="updated_at"),
)
