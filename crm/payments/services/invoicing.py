"""Invoices (开票): issued against a contract, never above its amount unless the settings allow it;
voided by a reversing entry."""

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
from crm.core.credit_code import is_valid_credit_code, normalize_credit_code
from crm.core.errors import FieldError, ValidationFailed
from crm.core.events import publish_on_commit
from crm.payments.errors import AlreadyReversed, InvoiceLimitExceeded
from crm.payments.events import InvoiceIssued
from crm.payments.models import Invoice, InvoiceKind
from crm.payments.selectors import invoice_get, settings_get
from crm.payments.services.ledger_lock import lock_contract
from crm.payments.services.running_totals import add_to_running_totals
from crm.payments.validation import clean_choice, clean_day, clean_money, clean_text

# VAT invoices to companies carry the buyer's taxpayer ID (the unified social credit code).
TAX_ID_REQUIRED = (InvoiceKind.VAT_SPECIAL, InvoiceKind.VAT_GENERAL)


def _clean_invoice(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    cleaners: dict[str, Callable[[Any], Any]] = {
        "kind": lambda raw: clean_choice("kind", raw, list(InvoiceKind.values)),
        "number": lambda raw: clean_text("number", raw, max_length=40, required=True),
        "amount": lambda raw: clean_money("amount", raw),
        "issued_on": lambda raw: clean_day("issued_on", raw),
        "title": lambda raw: clean_text("title", raw, max_length=200, required=True),
        "note": lambda raw: clean_text("note", raw, max_length=500),
    }
    for name, cleaner in cleaners.items():
        try:
            cleaned[name] = cleaner(values.get(name))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    tax_id = normalize_credit_code(str(values.get("tax_id") or ""))
    if tax_id and not is_valid_credit_code(tax_id):
        errors.append(FieldError(field="tax_id", message=_("Enter a valid 18-character unified social credit code.")))
    elif not tax_id and cleaned.get("kind") in TAX_ID_REQUIRED:
        errors.append(FieldError(field="tax_id", message=_("A VAT invoice needs the buyer's taxpayer ID.")))
    cleaned["tax_id"] = tax_id
    if errors:
        raise ValidationFailed(_("Please correct the listed fields."), errors=errors)
    return cleaned


def _number_taken(field: str) -> ValidationFailed:
    message = _("An invoice of this type with this number exists already.")
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def invoice_issue(*, actor: Actor, contract_id: int, values: Mapping[str, Any]) -> Invoice:
    """Record an invoice; the contract's invoices may not add up to more than its amount."""
    cleaned = _clean_invoice(values)
    with transaction.atomic():
        contract = lock_contract(actor, contract_id)
        invoiced = contract.invoiced  # read under the lock: every earlier invoice is counted
        if invoiced + cleaned["amount"] > contract.amount and not settings_get().allow_invoice_over_contract:
            message = _(
                "Invoices would total %(total)s, more than the contract amount %(amount)s; at most %(left)s "
                "may still be invoiced."
            ) % {
                "total": invoiced + cleaned["amount"],
                "amount": contract.amount,
                "left": max(contract.amount - invoiced, Decimal("0.00")),
            }
            raise InvoiceLimitExceeded(message, errors=[FieldError(field="amount", message=message)])
        if Invoice.objects.filter(kind=cleaned["kind"], number=cleaned["number"], voids__isnull=True).exists():
            raise _number_taken("number")
        try:
            with transaction.atomic():
                invoice = Invoice.objects.create(contract=contract, created_by_id=actor.user_id, **cleaned)
        except IntegrityError as exc:
            raise _number_taken("number") from exc
        add_to_running_totals(contract, invoiced=invoice.amount)
        audit_record(
            actor=actor,
            verb=Verb.CREATE,
            target=invoice,
            changes={name: [None, str(value)] for name, value in cleaned.items()}
            | {"contract": [None, contract.number]},
        )
        publish_on_commit(InvoiceIssued(invoice_id=invoice.pk, contract_id=contract.pk))
    return invoice


def invoice_void(*, actor: Actor, invoice_id: int, reason: Any = "") -> Invoice:
    """Void an invoice with a negative entry dated today; the original stays in the ledger."""
    note = clean_text("reason", reason, max_length=500, required=True)
    with transaction.atomic():
        original = invoice_get(viewer=actor, invoice_id=invoice_id)
        contract = lock_contract(actor, original.contract_id)
        original = Invoice.objects.get(pk=original.pk)
        if original.voids_id is not None:
            raise AlreadyReversed(_("A voiding entry cannot itself be voided."))
        if Invoice.objects.filter(voids=original).exists():
            raise AlreadyReversed(_("This invoice has been voided already."))
        try:
            with transaction.atomic():
                entry = Invoice.objects.create(
                    contract=contract,
                    kind=original.kind,
                    number=original.number,
                    amount=-original.amount,
                    issued_on=clock.today(),
                    title=original.title,
                    tax_id=original.tax_id,
                    note=note,
                    voids=original,
                    created_by_id=actor.user_id,
                )
        except IntegrityError as exc:
            raise AlreadyReversed(_("This invoice has been voided already.")) from exc
        add_to_running_totals(contract, invoiced=entry.amount)
        audit_record(
            actor=actor,
            verb=Verb.CREATE,
            target=entry,
            changes={"voids": [None, original.pk], "amount": [None, str(entry.amount)], "note": [None, note]},
        )
    return entry
