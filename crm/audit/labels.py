"""How recorded changes read for people: record types, field names and stored values in the UI language.

Entries keep code names (`customers.customer`, `lifecycle_stage`, `prospect`) so they stay stable;
screens turn them into the translated names the forms use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
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
    # approval decisions recorded on the approved record
    "approval": gettext_lazy("Approval"),
    "approval_step": gettext_lazy("Approval step"),
    "comment": gettext_lazy("Comment"),
    "by": gettext_lazy("Decided by"),
    "decision": gettext_lazy("Decision"),
    "next_step": gettext_lazy("Next step"),
    "flow": gettext_lazy("Approval flow"),
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


RelatedNames = dict[tuple[str, Any], str]


def _relation(model: type[models.Model] | None, name: str) -> type[models.Model] | None:
    """The model a many-to-one field `name` points at, if it is one."""
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    related = getattr(field, "related_model", None)
    return related if field.many_to_one and isinstance(related, type) else None


def related_names(changes: Iterable[tuple[str, Mapping[str, Any]]]) -> RelatedNames:
    """Display names of the records that foreign-key changes point at, one query per related model.

    Entries store ids (`owner: [3, 7]`); screens show "张伟 → 李娜".
    """
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for target_type, values in changes:
        model = model_of(target_type)
        for name, value in values.items():
            related = _relation(model, name)
            if related is not None and isinstance(value, list):
                wanted[related].update(item for item in value if isinstance(item, int))
    names: RelatedNames = {}
    for related, ids in wanted.items():
        for record in related._base_manager.filter(pk__in=ids):
            names[(related._meta.label_lower, record.pk)] = str(record)
    return names


def value_label(model: type[models.Model] | None, name: str, value: Any, names: RelatedNames | None = None) -> Any:
    """A choice's label instead of its code, Yes/No for flags, lists joined, related records by
    name when `names` has them; other values unchanged."""
    related = _relation(model, name) if names else None
    if related is not None and names is not None:
        return names.get((related._meta.label_lower, value), value)
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
