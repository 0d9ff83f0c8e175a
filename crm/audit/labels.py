"""How recorded changes read for people: record types, field names and stored values in the UI language.

Entries keep code names (`customers.customer`, `lifecycle_stage`, `prospect`) so they stay stable;
screens turn them into the translated names the forms use.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Keys of entries that record details rather than field changes (exports, sign-ins, demo data).
DETAIL_LABELS = {
    "rows": gettext_lazy("Rows"),
    "format": gettext_lazy("File format"),
    "filters": gettext_lazy("Filters"),
    "username": gettext_lazy("Username"),
    "customers": gettext_lazy("Customers"),
    "contacts": gettext_lazy("Contacts"),
    "activities": gettext_lazy("Follow-ups"),
}


def model_of(target_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def type_label(target_type: str) -> str:
    """`customers.customer` → "Customer" (客户); unknown types stay as stored."""
    model = model_of(target_type)
    return capfirst(str(model._meta.verbose_name)) if model is not None else target_type


def field_label(model: type[models.Model] | None, name: str) -> str:
    if model is not None:
        try:
            return capfirst(str(getattr(model._meta.get_field(name), "verbose_name", name)))
        except FieldDoesNotExist:
            pass
    return str(DETAIL_LABELS.get(name, name))


def value_label(model: type[models.Model] | None, name: str, value: Any) -> Any:
    """A choice's label instead of its code, Yes/No for flags, lists joined; other values unchanged."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if model is None or not isinstance(value, str | int) or value == "":
        return value
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    choices = dict(getattr(field, "flatchoices", None) or [])
    return str(choices[value]) if value in choices else value
