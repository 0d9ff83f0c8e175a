"""Factories for leads, with realistic Chinese data."""

from __future__ import annotations

from typing import Any

from crm.core.actors import system_actor
from crm.identity.models import User
from crm.leads.models import Lead
from crm.leads.services import lead_create


def a_lead(owner: User, **values: Any) -> Lead:
    """A lead captured through the service, as a user would enter it."""
    data: dict[str, Any] = {
        "name": "王建国",
        "company_name": "杭州云栖智能制造有限公司",
        "title": "采购总监",
        "mobile": "13912345678",
        "email": "wang.jianguo@yunqi.cn",
        "industry": "智能制造",
        "province": "浙江省",
        "city": "杭州市",
        "channel": "event",
        "campaign": "2026 工博会",
    }
    data.update(values)
    data["owner_id"] = owner.pk
    return lead_create(actor=system_actor("test"), values=data)
