"""Payments (回款): recording what was collected, allocated to instalments, and reversing a payment.

A payment is never edited: a mistake is corrected by a reversing entry (the negative of the
original, with its allocations reversed), so payments and allocations always add up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from crm.audit.models import Verb
from crm.audit.services import audit_record
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, ValidationFailed
from crm.core.events import publish_on_commit
from crm.payments.allocation import allocate
from crm.payments.errors import AlreadyReversed
from crm.payments.events import PaymentRecorded, PaymentReversed
from crm.payments.models import Instalment, Payment, PaymentAllocation, PaymentMethod
from crm.payments.selectors import COLLECTABLE_STATUSES, open_instalments, payment_get, plan_of
from crm.payments.services.ledger_lock import lock_contract
from crm.payments.services.running_totals import add_to_running_totals
from crm.payments.validation import clean_choice, clean_day, clean_id, clean_money, clean_text, invalid


def _clean_payment(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    cleaners: dict[str, Callable[[Any], Any]] = {
        "amount": lambda raw: clean_money("amount", raw),
        "received_on": lambda raw: clean_day("received_on", raw),
        "method": lambda raw: clean_choice("method", raw, list(PaymentMethod.values)),
        "reference": lambda raw: clean_text("reference", raw, max_length=100),
        "note": lambda raw: clean_text("note", raw, max_length=500),
    }
    for name, cleaner in cleaners.items():
        try:
            cleaned[name] = cleaner(values.get(name))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if "received_on" in cleaned and cleaned["received_on"] > clock.today():
        errors.append(FieldError(field="received_on", message=_("A payment cannot be received in the future.")))
    if errors:
        raise ValidationFailed(_("Please correct the listed fields."), errors=errors)
    return cleaned


def _clean_allocations(raw: Mapping[Any, Any] | None) -> dict[int, Decimal] | None:
    if not raw:
        return None
    cleaned: dict[int, Decimal] = {}
    for key, value in raw.items():
        if value in (None, ""):
            continue
        instalment_id = clean_id("allocations", key)
        amount = clean_money("allocations", value, positive=False)
        if amount:
            cleaned[instalment_id] = amount
    return cleaned or None


def payment_record(
    *, actor: Actor, contract_id: int, values: Mapping[str, Any], allocations: Mapping[Any, Any] | None = None
) -> Payment:
    """Record money received on a signed contract, paying its instalments (the oldest due first unless
    `allocations` says {instalment id: amount}); refuses more than is outstanding."""
    cleaned = _clean_payment(values)
    explicit = _clean_allocations(allocations)
    with transaction.atomic():
        contract = lock_contract(actor, contract_id)
        if contract.status not in COLLECTABLE_STATUSES:
            raise invalid(
                "contract",
                _("Payments are recorded on signed contracts; this one is “%(status)s”.")
                % {"status": contract.get_status_display()},
            )
        if plan_of(contract_id=contract.pk) is None:
            raise invalid("contract", _("Add a payment plan to this contract before recording payments."))
        # Read after the lock: every earlier payment on this contract is committed and counted.
        pairs = allocate(cleaned["amount"], open_instalments(contract_id=contract.pk), explicit)
        payment = Payment.objects.create(contract=contract, created_by_id=actor.user_id, **cleaned)
        _apply(payment, pairs)
        add_to_running_totals(contract, collected=payment.amount)
        audit_record(
            actor=actor,
            verb=Verb.CREATE,
            target=payment,
            changes={
                "contract": [None, contract.number],
                "amount": [None, str(payment.amount)],
                "received_on": [None, payment.received_on.isoformat()],
                "method": [None, payment.method],
                "reference": [None, payment.reference],
                "allocations": [None, {str(pk): str(part) for pk, part in pairs}],
            },
        )
        publish_on_commit(PaymentRecorded(payment_id=payment.pk, contract_id=contract.pk))
    return payment


def _apply(payment: Payment, pairs: list[tuple[int, Decimal]]) -> None:
    PaymentAllocation.objects.bulk_create(
        [PaymentAllocation(payment=payment, instalment_id=pk, amount=part) for pk, part in pairs]
    )
    # New totals computed in Decimal, not `collected + part` in SQL: SQLite would add binary floats.
    # The contract's row lock, held by the caller, keeps this read-modify-write race-free.
    current = dict(Instalment.objects.filter(pk__in=[pk for pk, _part in pairs]).values_list("pk", "collected"))
    for pk, part in pairs:
        Instalment.objects.filter(pk=pk).update(collected=current[pk] + part)


def payment_reverse(*, actor: Actor, payment_id: int, reason: Any = "") -> Payment:
    """Cancel a payment by a reversing entry dated today; each instalment gets back what it was paid."""
    note = clean_text("reason", reason, max_length=500, required=True)
    with transaction.atomic():
        original = payment_get(viewer=actor, payment_id=payment_id)
        contract = lock_contract(actor, original.contract_id)
        original = Payment.objects.get(pk=original.pk)
        if original.is_reversal:
            raise AlreadyReversed(_("A reversing entry cannot itself be reversed."))
        if Payment.objects.filter(reverses=original).exists():
            raise AlreadyReversed(_("This payment has been reversed already."))
        pairs = [
            (allocation.instalment_id, -allocation.amount)
            for allocation in PaymentAllocation.objects.filter(payment=original).order_by("id")
        ]
        try:
            with transaction.atomic():
                reversal = Payment.objects.create(
                    contract=contract,
                    amount=-original.amount,
                    received_on=clock.today(),
                    method=original.method,
                    reference=original.reference,
                    note=note,
                    reverses=original,
                    created_by_id=actor.user_id,
                )
        except IntegrityError as exc:
            raise AlreadyReversed(_("This payment has been reversed already.")) from exc
        _apply(reversal, pairs)
        add_to_running_totals(contract, collected=reversal.amount)
        audit_record(
            actor=actor,
            verb=Verb.CREATE,
            target=reversal,
            changes={
                "reverses": [None, original.pk],
                "amount": [None, str(reversal.amount)],
                "note": [None, note],
            },
        )
        publish_on_commit(PaymentReversed(payment_id=original.pk, reversal_id=reversal.pk, contract_id=contract.pk))
    return reversal
