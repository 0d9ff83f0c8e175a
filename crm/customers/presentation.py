"""How customers and contacts are shown: list columns and masked contact details.

Lists, exports and the API all take values from here, so a masked phone number is masked
everywhere and an export holds exactly the columns the list shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.access.visibility import masks_contact_info
from crm.audit.labels import value_label
from crm.core.actors import Actor
from crm.core.phone import display_phone, mask_email, mask_phone
from crm.customers.models import Contact, Customer


def shown_phone(viewer: Actor, record: Customer | Contact, value: str) -> str:
    if masks_contact_info(viewer, owner_id=record.owner_id):
        return mask_phone(value)
    return display_phone(value)


def shown_email(viewer: Actor, record: Customer | Contact, value: str) -> str:
    if masks_contact_info(viewer, owner_id=record.owner_id):
        return mask_email(value)
    return value


def _datetime(value: Any) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    value: Callable[[Actor, Any], str]
    default: bool = True
    sortable: str = ""


CUSTOMER_COLUMNS: Sequence[Column] = (
    Column("name", _("Name"), lambda v, c: c.name, sortable="name"),
    Column("grade", _("Grade"), lambda v, c: c.grade),
    Column("industry", _("Industry"), lambda v, c: c.industry),
    Column("region", _("Region"), lambda v, c: c.region),
    Column("owner", _("Owner"), lambda v, c: str(c.owner)),
    Column("team", _("Team"), lambda v, c: str(c.team or ""), default=False),
    Column("tags", _("Tags"), lambda v, c: ", ".join(t.name for t in c.tags.all())),
    Column("phone", _("Phone"), lambda v, c: shown_phone(v, c, c.phone), default=False),
    Column("email", _("Email"), lambda v, c: shown_email(v, c, c.email), default=False),
    Column("lifecycle_stage", _("Lifecycle stage"), lambda v, c: str(c.get_lifecycle_stage_display()), default=False),
    Column("source", _("Source"), lambda v, c: str(c.get_source_display()), default=False),
    Column("size", _("Company size"), lambda v, c: str(c.get_size_display()), default=False),
    Column(
        "annual_revenue",
        _("Annual revenue"),
        lambda v, c: f"{c.annual_revenue:,.2f} {c.revenue_currency}" if c.annual_revenue is not None else "",
        default=False,
    ),
    Column("credit_code", _("Unified social credit code"), lambda v, c: c.credit_code, default=False),
    Column("external_id", _("External ID"), lambda v, c: c.external_id or "", default=False),
    Column("created_at", _("Created"), lambda v, c: _datetime(c.created_at), sortable="created_at"),
    Column("updated_at", _("Updated"), lambda v, c: _datetime(c.updated_at), default=False, sortable="updated_at"),
)

CONTACT_COLUMNS: Sequence[Column] = (
    Column("name", pgettext_lazy("person", "Name"), lambda v, c: c.name, sortable="name"),
    Column("customer", _("Customer"), lambda v, c: c.customer.name if c.customer else ""),
    Column("title", _("Job title"), lambda v, c: c.title),
    Column("deal_role", _("Role in the deal"), lambda v, c: str(c.get_deal_role_display())),
    Column("mobile", _("Mobile"), lambda v, c: shown_phone(v, c, c.mobile)),
    Column("phone", _("Phone"), lambda v, c: shown_phone(v, c, c.phone), default=False),
    Column("email", _("Email"), lambda v, c: shown_email(v, c, c.email)),
    Column("wechat", _("WeChat"), lambda v, c: c.wechat, default=False),
    Column("owner", _("Owner"), lambda v, c: str(c.owner)),
    Column("external_id", _("External ID"), lambda v, c: c.external_id or "", default=False),
    Column("created_at", _("Created"), lambda v, c: _datetime(c.created_at), sortable="created_at"),
)


def columns_chosen(all_columns: Sequence[Column], keys: Sequence[str] | None) -> list[Column]:
    """The columns a user chose, in the catalogue's order; the defaults when none are saved."""
    by_key = {column.key: column for column in all_columns}
    if keys:
        chosen = [by_key[key] for key in keys if key in by_key]
        if chosen:
            return sorted(chosen, key=lambda column: list(by_key).index(column.key))
    return [column for column in all_columns if column.default]


def row_values(viewer: Actor, record: Any, columns: Sequence[Column]) -> list[str]:
    return [column.value(viewer, record) for column in columns]


def conflict_rows(viewer: Actor, record: Customer | Contact, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Another user's changes as the refused editor may see them: labelled, contact details masked."""
    masked = masks_contact_info(viewer, owner_id=record.owner_id)
    rows = []
    for change in changes:
        field = str(change.get("field", ""))
        old, new = change.get("old"), change.get("new")
        if masked and field in {"phone", "mobile"}:
            old, new = (mask_phone(str(v)) if v else v for v in (old, new))
        elif masked and field == "email":
            old, new = (mask_email(str(v)) if v else v for v in (old, new))
        try:
            label = capfirst(str(getattr(type(record)._meta.get_field(field), "verbose_name", field)))
        except FieldDoesNotExist:
            label = field
        model = type(record)
        rows.append(
            {
                **change,
                "field": field,
                "label": label,
                "old": value_label(model, field, old),
                "new": value_label(model, field, new),
            }
        )
    return rows
