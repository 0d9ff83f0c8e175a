"""Small presentation tags for the daisyUI form controls and lists."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def widget_type(field: BoundField) -> str:
    return str(field.field.widget.__class__.__name__).lower()


@register.simple_tag
def field_widget(field: BoundField, css_class: str) -> SafeString:
    """Render a form field's widget with daisyUI classes, flagged when it has errors."""
    classes = css_class
    if field.errors:
        classes += " input-error select-error textarea-error"
    attrs: dict[str, Any] = {"class": classes}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (or removed when empty)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def money(value: Any) -> str:
    """An amount with thousands grouped and two decimals, the way finance reads it: 5,000,000.00."""
    if value is None or value == "":
        return ""
    return f"{value:,.2f}"
