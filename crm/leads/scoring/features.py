"""The one-hot features the learned score sees: who the lead is, not what happened to it since."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from crm.leads.conditions import FIELDS
from crm.leads.models import Channel, Lead

CATEGORICAL = ("industry", "province", "channel", "campaign")
# Upper bounds (CNY) of the revenue bands; one-hot bands instead of a raw number keep the model linear-safe.
REVENUE_BANDS = (
    ("lt1m", Decimal(1_000_000)),
    ("1m_10m", Decimal(10_000_000)),
    ("10m_100m", Decimal(100_000_000)),
    ("100m_1b", Decimal(1_000_000_000)),
)


def _revenue_band(revenue: Decimal | None) -> str:
    if revenue is None:
        return "unknown"
    for name, upper in REVENUE_BANDS:
        if revenue < upper:
            return name
    return "ge1b"


def lead_features(lead: Lead) -> list[str]:
    """Feature keys such as "industry=制造业", "revenue=10m_100m", "has_email"."""
    keys = [f"{field}={value}" for field in CATEGORICAL if (value := str(getattr(lead, field) or "").strip())]
    keys.append(f"revenue={_revenue_band(lead.annual_revenue)}")
    keys.extend(flag for flag, present in (("has_mobile", lead.mobile), ("has_email", lead.email)) if present)
    if lead.company_name:
        keys.append("has_company")
    return keys


def feature_label(key: str) -> str:
    """How a feature reads in a reason: "行业 = 制造业", "年营业额 1千万–1亿"."""
    revenue_labels = {
        "unknown": _("not given"),
        "lt1m": _("under 1M"),
        "1m_10m": _("1M–10M"),
        "10m_100m": _("10M–100M"),
        "100m_1b": _("100M–1B"),
        "ge1b": _("1B and more"),
    }
    field, _sep, value = key.partition("=")
    if field == "revenue":
        return f"{FIELDS['annual_revenue'].label} {revenue_labels.get(value, value)}"
    if field in FIELDS:
        spec = FIELDS[field]
        if not value:
            return str(spec.label)
        if field == "channel" and value in Channel.values:
            value = str(Channel(value).label)
        return f"{spec.label} = {value}"
    return key
