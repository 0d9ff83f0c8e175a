"""How a payment is spread over a contract's instalments: pure functions, tested without the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from crm.core.errors import FieldError
from crm.payments.errors import Overpayment
from crm.payments.validation import invalid

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class OpenInstalment:
    id: int
    number: int
    due_on: dt.date
    outstanding: Decimal


def _overpayment(field: str, message: str) -> Overpayment:
    return Overpayment(message, errors=[FieldError(field=field, message=message)])


def allocate(
    amount: Decimal, instalments: Sequence[OpenInstalment], explicit: Mapping[int, Decimal] | None = None
) -> list[tuple[int, Decimal]]:
    """(instalment id, amount) pairs paying `amount`: as `explicit` says, or the oldest due first.

    Refuses more than is outstanding, on one instalment or on all of them together.
    """
    total_open = sum((item.outstanding for item in instalments), ZERO)
    if amount > total_open:
        raise _overpayment(
            "amount",
            _("This payment of %(amount)s is more than the %(open)s still outstanding on the contract.")
            % {"amount": amount, "open": total_open},
        )
    if explicit:
        return _explicit(amount, instalments, explicit)
    remaining = amount
    pairs: list[tuple[int, Decimal]] = []
    for item in sorted(instalments, key=lambda i: (i.due_on, i.number, i.id)):
        if remaining <= 0:
            break
        part = min(remaining, item.outstanding)
        if part > 0:
            pairs.append((item.id, part))
            remaining -= part
    return pairs


def _explicit(
    amount: Decimal, instalments: Sequence[OpenInstalment], explicit: Mapping[int, Decimal]
) -> list[tuple[int, Decimal]]:
    by_id = {item.id: item for item in instalments}
    pairs: list[tuple[int, Decimal]] = []
    for instalment_id, part in explicit.items():
        if part == 0:
            continue
        item = by_id.get(instalment_id)
        if item is None:
            raise invalid("allocations", _("Allocate only to this contract's instalments that are not fully paid."))
        if part < 0:
            raise invalid("allocations", _("Allocated amounts must be greater than zero."))
        if part > item.outstanding:
            raise _overpayment(
                "allocations",
                _("Instalment %(number)d has %(open)s outstanding; %(part)s is too much.")
                % {"number": item.number, "open": item.outstanding, "part": part},
            )
        pairs.append((instalment_id, part))
    allocated = sum((part for _id, part in pairs), ZERO)
    if allocated != amount:
        raise invalid(
            "allocations",
            _("The allocations add up to %(allocated)s but the payment is %(amount)s (difference %(difference)s).")
            % {"allocated": allocated, "amount": amount, "difference": amount - allocated},
        )
    return sorted(pairs, key=lambda pair: next(i.due_on for i in instalments if i.id == pair[0]))
