"""Factories for campaigns and web forms, set up as an administrator would."""

from __future__ import annotations

from typing import Any

from crm.core.actors import web_actor
from crm.identity.models import User
from crm.leads.models import Campaign, WebForm
from crm.leads.webforms import campaign_save, webform_save


def a_campaign(admin: User, owner: User, **values: Any) -> Campaign:
    data: dict[str, Any] = {"name": "2026 春季智能制造峰会", "channel": "web_form", "is_active": True}
    data.update(values)
    data["owner_id"] = owner.pk
    return campaign_save(actor=web_actor(admin), values=data)


def a_web_form(admin: User, campaign: Campaign, **values: Any) -> WebForm:
    data: dict[str, Any] = {
        "title": "峰会报名",
        "fields": ["company_name", "mobile", "email"],
        "required_fields": ["mobile"],
        "consent_text": "我同意贵公司保存我的信息并就本次活动与我联系。",
        "thank_you_message": "感谢报名，我们会尽快与您联系。",
        "is_active": True,
    }
    data.update(values)
    data["campaign_id"] = campaign.pk
    return webform_save(actor=web_actor(admin), values=data)
