"""Payment plans (回款计划): a contract's instalments, which must add up to the contract amount."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.models import Verb
from crm.audit.services import audit_record
from crm.core.actors import Actor
from crm.core.errors import Conflict, FieldError, ValidationFailed
from crm.payments.errors import CollectedAmountLocked, PlanMismatch
from crm.payments.models import Instalment, PaymentAllocation, PaymentPlan
from crm.payments.services.ledger_lock import lock_contract
from crm.payments.validation import clean_day, clean_id, clean_money, clean_text, invalid

MAX_INSTALMENTS = 120
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PlannedInstalment:
    id: int | None
    amount: Decimal
    due_on: dt.date
    note: str


def _clean_rows(rows: list[dict[str, Any]]) -> list[PlannedInstalment]:
    if not rows:
        raise invalid("instalments", _("Add at least one instalment."))
    if len(rows) > MAX_INSTALMENTS:
        raise invalid("instalments", _("A plan has at most %(max)d instalments.") % {"max": MAX_INSTALMENTS})
    cleaned: list[PlannedInstalment] = []
    errors: list[FieldError] = []
    for position, row in enumerate(rows, start=1):
        item = _clean_row(f"instalments.{position}", row, errors)
        if item is not None:
            cleaned.append(item)
    if errors:
        raise ValidationFailed(_("Please correct the listed fields."), errors=errors)
    return cleaned


def _clean_row(prefix: str, row: dict[str, Any], errors: list[FieldError]) -> PlannedInstalment | None:
    """One row, every bad field of it reported (added to `errors`); None when any field is bad."""
    values: dict[str, Any] = {}
    raw_id = row.get("id")
    cleaners: dict[str, Callable[[], Any]] = {
        "id": partial(clean_id, f"{prefix}.id", raw_id) if raw_id not in (None, "") else lambda: None,
        "amount": partial(clean_money, f"{prefix}.amount", row.get("amount")),
        "due_on": partial(clean_day, f"{prefix}.due_on", row.get("due_on")),
        "note": partial(clean_text, f"{prefix}.note", row.get("note"), max_length=200),
    }
    for name, cleaner in cleaners.items():
        try:
            values[name] = cleaner()
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    return PlannedInstalment(**values) if len(values) == len(cleaners) else None


def _describe(instalments: list[Instalment] | list[PlannedInstalment]) -> list[str]:
    return [f"{item.amount} @ {item.due_on.isoformat()}" for item in instalments]


def payment_plan_set(*, actor: Actor, contract_id: int, version: int, instalments: list[dict[str, Any]]) -> PaymentPlan:
    """Replace the contract's instalments; they must add up to the contract amount exactly.

    Money already collected stays where it is: an instalment with collections is never removed nor
    made smaller than what it has collected, and a fully paid one keeps its amount and due date.
    `version` is the plan version the editor read (0 when there was no plan).
    """
    planned = _clean_rows(instalments)
    with transaction.atomic():
        contract = lock_contract(actor, contract_id)
        total = sum((item.amount for item in planned), ZERO)
        if total != contract.amount:
            message = _(
                "The instalments add up to %(total)s but the contract amount is %(amount)s (difference %(difference)s)."
            ) % {"total": total, "amount": contract.amount, "difference": contract.amount - total}
            raise PlanMismatch(message, errors=[FieldError(field="instalments", message=message)])
        plan = PaymentPlan.objects.filter(contract=contract).first()
        current_version = plan.version if plan is not None else 0
        if version != current_version:
            raise Conflict(_("Someone else changed this payment plan since you opened it; reload and try again."))
        existing = {item.pk: item for item in Instalment.objects.filter(contract=contract)}
        before = sorted(existing.values(), key=lambda item: item.number)
        _check_collected(existing, planned)
        kept_ids = {item.id for item in planned if item.id is not None}
        Instalment.objects.filter(pk__in=[pk for pk in existing if pk not in kept_ids]).delete()
        # Numbers are unique per contract: park the kept rows above every final number first.
        offset = (Instalment.objects.filter(contract=contract).aggregate(top=Max("number"))["top"] or 0) + len(planned)
        for position, item in enumerate(planned, start=1):
            if item.id is not None:
                Instalment.objects.filter(pk=item.id).update(number=offset + position)
        now = timezone.now()
        for position, item in enumerate(planned, start=1):
            if item.id is None:
                Instalment.objects.create(
                    contract=contract, number=position, amount=item.amount, due_on=item.due_on, note=item.note
                )
                continue
            old = existing[item.id]
            changes: dict[str, Any] = {"number": position, "amount": item.amount, "note": item.note, "updated_at": now}
            if old.due_on != item.due_on:
                # A new due date is a new deadline: people are told again when it passes.
                changes.update(due_on=item.due_on, owner_told_on=None, manager_told_on=None)
            Instalment.objects.filter(pk=item.id).update(**changes)
        if plan is None:
            plan = PaymentPlan.objects.create(contract=contract, updated_by_id=actor.user_id)
            verb = Verb.CREATE
        else:
            PaymentPlan.objects.filter(pk=plan.pk).update(
                version=F("version") + 1, updated_at=now, updated_by_id=actor.user_id
            )
            plan.refresh_from_db()
            verb = Verb.UPDATE
        audit_record(
            actor=actor,
            verb=verb,
            target=plan,
            changes={"contract": contract.number, "instalments": [_describe(before), _describe(planned)]},
        )
    return plan


def _check_collected(existing: dict[int, Instalment], planned: list[PlannedInstalment]) -> None:
    by_id = {item.id: (position, item) for position, item in enumerate(planned, start=1) if item.id is not None}
    for pk in by_id:
        if pk not in existing:
            raise invalid("instalments", _("An instalment in this plan belongs to another contract."))
    removed = [pk for pk in existing if pk not in by_id]
    with_history = set(
        PaymentAllocation.objects.filter(instalment_id__in=removed).values_list("instalment_id", flat=True)
    )
    for pk in removed:
        if pk in with_history and existing[pk].collected == 0:
            # Its payments were reversed, but the ledger keeps both entries pointing at it.
            raise CollectedAmountLocked(
                _("Instalment %(number)d has payment history and cannot be removed; change it instead.")
                % {"number": existing[pk].number},
                errors=[FieldError(field="instalments", message=_("An instalment with payments cannot be removed."))],
            )
    for pk, old in existing.items():
        if old.collected <= 0:
            continue
        if pk not in by_id:
            raise CollectedAmountLocked(
                _("Instalment %(number)d has %(collected)s collected and cannot be removed.")
                % {"number": old.number, "collected": old.collected},
                errors=[FieldError(field="instalments", message=_("An instalment with payments cannot be removed."))],
            )
        position, new = by_id[pk]
        field = f"instalments.{position}.amount"
        if new.amount < old.collected:
            message = _("Instalment %(number)d has %(collected)s collected; its amount cannot be less.") % {
                "number": old.number,
                "collected": old.collected,
            }
            raise CollectedAmountLocked(message, errors=[FieldError(field=field, message=message)])
        if old.collected == old.amount and (new.amount != old.amount or new.due_on != old.due_on):
            message = _("Instalment %(number)d is fully paid; its amount and due date no longer change.") % {
                "number": old.number
            }
            raise CollectedAmountLocked(message, errors=[FieldError(field=field, message=message)])
