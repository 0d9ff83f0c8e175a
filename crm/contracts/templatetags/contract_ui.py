"""Contract status badges, the same colour for a status on every page."""

from __future__ import annotations

from django import template

from crm.contracts.presentation import STATUS_BADGES

register = template.Library()


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "badge-ghost")  # type: ignore[call-overload, no-any-return]
