"""How deals are shown: list and export columns, money, durations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.customers.presentation import Column


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return formats.number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def duration(value: dt.timedelta | None) -> str:
    """Days and hours, the grain managers read stage times in."""
    if value is None:
        return ""
    days, seconds = value.days, value.seconds
    hours = seconds // 3600
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    return _("%(hours)d h") % {"hours": hours}


DEAL_COLUMNS: Sequence[Column] = (
    Column("name", gettext_lazy("Deal name"), lambda v, d: d.name),
    Column("customer", gettext_lazy("Customer"), lambda v, d: d.customer.name),
    Column("stage", gettext_lazy("Stage"), lambda v, d: d.stage.name),
    Column("amount", gettext_lazy("Amount"), lambda v, d: f"{d.amount:.2f}"),
    Column("currency", gettext_lazy("Currency"), lambda v, d: d.currency),
    Column("probability", gettext_lazy("Probability (%)"), lambda v, d: str(d.probability)),
    Column(
        "expected_close_on",
        gettext_lazy("Expected close date"),
        lambda v, d: d.expected_close_on.isoformat() if d.expected_close_on else "",
    ),
    Column("owner", gettext_lazy("Owner"), lambda v, d: str(d.owner)),
    Column("pipeline", gettext_lazy("Pipeline"), lambda v, d: d.pipeline.name),
)
