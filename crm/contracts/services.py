"""Every write to contracts: create (from a won deal or on a customer), change while draft, approval,
termination and expiry, lines, attachments, number pattern, templates and renewal reminders.

Each write checks the actor's rights and writes its audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings as django_settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.access.visibility import can_see
from crm.approvals.services import approval_submit
from crm.audit.models import Verb
from crm.audit.services import audit_record, audit_record_many, diff, save_versioned, snapshot
from crm.contracts.errors import ContractLocked, ContractNotSubmittable
from crm.contracts.models import (
    Contract,
    ContractAttachment,
    ContractLine,
    ContractNumberSequence,
    ContractSettings,
    ContractStatus,
    ContractTemplate,
)
from crm.contracts.numbering import PatternError, parse_pattern
from crm.contracts.rendering import check_body
from crm.contracts.selectors import (
    APPROVAL_KIND,
    contract_get,
    contract_may_change,
    contract_of_deal_exists,
    contract_settings_get,
    contracts_due_for_renewal_notice,
    contracts_past_end,
    quote_for_contract,
    template_get,
)
from crm.contracts.validation import clean_contract, clean_line, invalid
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from crm.customers.models import Customer
from crm.customers.selectors import customer_to_link
from crm.customers.services import owner_resolve
from crm.deals.models import StageKind
from crm.deals.selectors import deal_get
from crm.identity.rights import can_manage_org, user_of
from crm.notifications.models import NotificationKind
from crm.notifications.services import Notice, notify
from crm.quotes.models import Product, QuoteLine

CONTRACT_FIELDS = [
    "title",
    "amount",
    "currency",
    "signed_on",
    "starts_on",
    "ends_on",
    "our_party",
    "customer_party",
    "notes",
    "external_id",
]
AUDITED_FIELDS = [*CONTRACT_FIELDS, "owner"]
LINE_FIELDS = ["name", "sku", "unit", "quantity", "unit_price", "discount_percent", "tax_rate", "total"]
ALLOWED_ATTACHMENTS = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


def attachment_max_bytes() -> int:
    return int(getattr(django_settings, "CRM_CONTRACT_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES))


def _require_change(actor: Actor, contract: Contract) -> None:
    if not contract_may_change(actor, contract):
        raise PermissionDenied(_("You may view this contract but not change it."))


def _require_editable(contract: Contract) -> None:
    if contract.status == ContractStatus.PENDING_APPROVAL:
        raise ContractLocked(_("The contract is waiting for approval and cannot change until it is decided."))
    if not contract.is_editable:
        raise ContractLocked(
            _("A contract that is “%(status)s” can no longer change.") % {"status": contract.get_status_display()}
        )


def _locked_contract(actor: Actor, contract_id: int) -> Contract:
    """The contract, row-locked, after the visibility and change checks."""
    contract = contract_get(viewer=actor, contract_id=contract_id, for_update=True)
    _require_change(actor, contract)
    return contract


def _check_external_id(external_id: str | None, exclude_pk: int | None) -> None:
    if external_id and Contract.all_objects.filter(external_id=external_id).exclude(pk=exclude_pk or 0).exists():
        raise invalid("external_id", _("Another record already uses this external ID."))


# Numbers ---------------------------------------------------------------------------------------


def contract_number_next(day: dt.date) -> str:
    """The next number from the administrator's pattern; the sequence row's lock keeps it unique.

    Call inside a transaction: the row stays locked until it commits. A number already taken (say,
    after the pattern was changed back) is skipped rather than reused.
    """
    try:
        pattern = parse_pattern(contract_settings_get().number_pattern)
    except PatternError:
        pattern = parse_pattern(ContractSettings._meta.get_field("number_pattern").get_default())
    scope = pattern.scope(day)
    try:
        with transaction.atomic():
            ContractNumberSequence.objects.get_or_create(scope=scope)
    except IntegrityError:
        # Another transaction created this scope's row at the same moment; it exists now.
        pass
    sequence = ContractNumberSequence.objects.select_for_update().get(scope=scope)
    number = sequence.last_number
    while True:
        number += 1
        candidate = pattern.number(day, number)
        if not Contract.all_objects.filter(number=candidate).exists():
            break
    ContractNumberSequence.objects.filter(scope=scope).update(last_number=number)
    return candidate


# Create and change ------------------------------------------------------------------------------


def _product_of(raw: Any, field: str) -> Product | None:
    if raw in (None, "", 0):
        return None
    product = Product.objects.filter(pk=raw).first() if str(raw).isdigit() else None
    if product is None:
        raise invalid(field, _("Choose an existing product."))
    return product


def _clean_lines(raw_lines: Any) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(raw_lines or []):
        try:
            product = _product_of(raw.get("product_id"), f"lines.{index}.product")
            values = dict(raw)
            if product is not None:
                values.setdefault("name", product.name)
                values["name"] = values.get("name") or product.name
                values["sku"] = values.get("sku") or product.sku
                values["unit"] = values.get("unit") or product.unit
                if values.get("unit_price") in (None, ""):
                    values["unit_price"] = product.list_price
                if values.get("tax_rate") in (None, ""):
                    values["tax_rate"] = product.tax_rate
            cleaned = clean_line(values, index=index)
            cleaned["product"] = product
            lines.append(cleaned)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    return lines


def _write_lines(contract: Contract, lines: list[dict[str, Any]]) -> None:
    ContractLine.objects.bulk_create(
        [ContractLine(contract=contract, position=position, **line) for position, line in enumerate(lines, start=1)]
    )


def _create(
    actor: Actor,
    *,
    customer: Customer,
    cleaned: dict[str, Any],
    lines: list[dict[str, Any]],
    owner_id: Any,
    deal_id: int | None = None,
    quote_id: int | None = None,
) -> Contract:
    owner = owner_resolve(actor, owner_id)
    _check_external_id(cleaned.get("external_id"), None)
    if not cleaned.get("our_party"):
        cleaned["our_party"] = contract_settings_get().our_party
    if not cleaned.get("customer_party"):
        cleaned["customer_party"] = customer.name
    contract = Contract(
        **cleaned,
        number=contract_number_next(clock.today()),
        customer=customer,
        deal_id=deal_id,
        quote_id=quote_id,
        owner=owner,
        team_id=owner.team_id,
        created_by=user_of(actor),
    )
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as exc:
        raise invalid("external_id", _("Another record already uses this external ID.")) from exc
    _write_lines(contract, lines)
    after = snapshot(contract, [*AUDITED_FIELDS, "number", "customer", "deal", "quote", "status"])
    if lines:
        after["lines"] = len(lines)
    audit_record(actor=actor, verb=Verb.CREATE, target=contract, changes=diff({}, after))
    return contract


def contract_create(*, actor: Actor, values: dict[str, Any]) -> Contract:
    """Open a draft contract on a customer the actor can see, numbered from the administrator's pattern."""
    if actor.user is None and not actor.is_system:
        raise PermissionDenied(_("Sign in first."))
    cleaned = clean_contract(values, partial=False)
    lines = _clean_lines(values.get("lines"))
    with transaction.atomic():
        customer = customer_to_link(viewer=actor, customer_id=values.get("customer_id"))
        return _create(actor, customer=customer, cleaned=cleaned, lines=lines, owner_id=values.get("owner_id"))


def _line_from_quote(line: QuoteLine) -> dict[str, Any]:
    return {
        "product": line.product,
        "name": line.description,
        "sku": line.product.sku if line.product is not None else "",
        "unit": line.unit,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "tax_rate": line.tax_rate,
        # The quote's own amounts, overall discount included: what the customer accepted.
        "total": line.net_amount + line.tax_amount,
    }


def contract_create_from_deal(*, actor: Actor, deal_id: int, values: dict[str, Any] | None = None) -> Contract:
    """A draft contract from a won deal: its customer and owner, and the amount, currency and product lines
    of the deal's accepted quote (else its latest sent quote, else the deal's own amount).

    One deal makes one contract; another is allowed only once the earlier one was terminated.
    """
    values = dict(values or {})
    with transaction.atomic():
        deal = deal_get(viewer=actor, deal_id=deal_id)
        if not can_see(actor, owner_id=deal.customer.owner_id, team_id=deal.customer.team_id) and not actor.is_system:
            raise PermissionDenied(_("You may not see this deal's customer."))
        if deal.stage.kind != StageKind.WON:
            raise invalid("deal", _("Only a won deal becomes a contract."))
        existing = contract_of_deal_exists(deal_id=deal.pk)
        if existing is not None:
            raise invalid("deal", _("This deal already has contract %(number)s.") % {"number": existing.number})
        quote = quote_for_contract(deal_id=deal.pk)
        defaults: dict[str, Any] = {
            "title": deal.name,
            "amount": quote.total if quote is not None else deal.amount,
            "currency": quote.currency if quote is not None else deal.currency,
        }
        cleaned = clean_contract({**defaults, **values}, partial=False)
        lines = [_line_from_quote(line) for line in quote.lines.select_related("product")] if quote else []
        return _create(
            actor,
            customer=deal.customer,
            cleaned=cleaned,
            lines=lines,
            owner_id=values.get("owner_id") or deal.owner_id,
            deal_id=deal.pk,
            quote_id=quote.pk if quote is not None else None,
        )


def contract_update(*, actor: Actor, contract_id: int, version: int, values: dict[str, Any]) -> Contract:
    """Change a draft contract (fields, owner, and, when `lines` is given, all its lines at once)."""
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _refuse_stale(actor, contract, version)
        _require_editable(contract)
        current = {"starts_on": contract.starts_on, "ends_on": contract.ends_on}
        cleaned = clean_contract(values, partial=True, current=current)
        lines = _clean_lines(values["lines"]) if values.get("lines") is not None else None
        if "external_id" in cleaned:
            _check_external_id(cleaned["external_id"], contract.pk)
        fields = list(cleaned)
        before = snapshot(contract, fields)
        for name, value in cleaned.items():
            setattr(contract, name, value)
        extra: dict[str, Any] = {}
        if values.get("owner_id") not in (None, ""):
            owner = owner_resolve(actor, values["owner_id"], default_to_actor=False)
            before["owner"] = contract.owner_id
            contract.owner, contract.team_id = owner, owner.team_id
            fields.append("owner")
            extra["team_id"] = owner.team_id
        after = snapshot(contract, fields)
        if lines is not None:
            before["lines"] = [line.name for line in contract.lines.order_by("position", "id")]
            after["lines"] = [line["name"] for line in lines]
        changes = diff(before, after)
        if not changes:
            return contract
        if lines is not None:
            ContractLine.objects.filter(contract=contract).delete()
            _write_lines(contract, lines)
        # Fields by their column names (owner → owner_id), for one conditional UPDATE.
        attnames = [getattr(contract._meta.get_field(name), "attname", name) for name in fields]
        columns = {attname: getattr(contract, attname) for attname in attnames}
        _bump(actor, contract, version, changes, **columns, **extra)
    return contract


def _refuse_stale(actor: Actor, contract: Contract, version: int) -> None:
    """The same 409, listing what the other person changed, as every versioned record gives."""
    if contract.version != version:
        save_versioned(actor=actor, instance=contract, expected_version=version, before={}, after={})


def _bump(actor: Actor, contract: Contract, version: int, changes: dict[str, Any], **columns: Any) -> None:
    """Save columns of a row-locked contract, one version step, and audit `changes` in the same transaction."""
    now = clock.now()
    Contract.all_objects.filter(pk=contract.pk).update(**columns, version=F("version") + 1, updated_at=now)
    contract.version = version + 1
    contract.updated_at = now
    audit_record(actor=actor, verb=Verb.UPDATE, target=contract, changes=changes)


def contract_delete(*, actor: Actor, contract_id: int) -> Contract:
    """Move a draft contract to the recycle bin; a contract that went to approval is kept."""
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _require_editable(contract)
        contract.deleted_at = clock.now()
        Contract.all_objects.filter(pk=contract.pk).update(deleted_at=contract.deleted_at)
        audit_record(actor=actor, verb=Verb.DELETE, target=contract)
    return contract


# Lines (web editor) ------------------------------------------------------------------------------


def contract_line_add(*, actor: Actor, contract_id: int, version: int, values: dict[str, Any]) -> ContractLine:
    """Add one product line to a draft contract."""
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _refuse_stale(actor, contract, version)
        _require_editable(contract)
        cleaned = _clean_lines([values])[0]
        last = contract.lines.order_by("-position").values_list("position", flat=True).first() or 0
        line = ContractLine.objects.create(contract=contract, position=last + 1, **cleaned)
        _bump(actor, contract, version, {"lines": [None, line.name]})
    return line


def contract_line_remove(*, actor: Actor, contract_id: int, version: int, line_id: int) -> Contract:
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _refuse_stale(actor, contract, version)
        _require_editable(contract)
        line = ContractLine.objects.filter(contract=contract, pk=line_id).first()
        if line is None:
            raise invalid("line", _("This line is not on the contract any more."))
        line.delete()
        _bump(actor, contract, version, {"lines": [line.name, None]})
    return contract


# Approval and status ---------------------------------------------------------------------------


def contract_submit(*, actor: Actor, contract_id: int, version: int) -> Contract:
    """Send a draft to approval: it is locked until the approval is decided or withdrawn."""
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _refuse_stale(actor, contract, version)
        _require_editable(contract)
        missing = [
            FieldError(field, _("Enter this date before submitting the contract."))
            for field in ("starts_on", "ends_on")
            if getattr(contract, field) is None
        ]
        if contract.amount <= 0:
            missing.append(FieldError("amount", _("Enter the contract amount before submitting it.")))
        if missing:
            raise ContractNotSubmittable(_("The contract is not complete yet."), errors=missing)
        now = clock.now()
        _bump(
            actor,
            contract,
            version,
            {"status": [contract.status, ContractStatus.PENDING_APPROVAL]},
            status=ContractStatus.PENDING_APPROVAL,
            submitted_at=now,
        )
        contract.status, contract.submitted_at = ContractStatus.PENDING_APPROVAL, now
        approval_submit(actor=actor, kind=APPROVAL_KIND, target=contract)
    contract.refresh_from_db()
    return contract


APPROVED = "approved"
DECISION_OUTCOMES = frozenset({"approved", "rejected", "returned", "withdrawn"})


def contract_apply_decision(*, actor: Actor, contract_id: int, outcome: str) -> Contract:
    """The approval's outcome: approved puts the contract in force; anything else returns it to draft."""
    if outcome not in DECISION_OUTCOMES:
        raise invalid("outcome", _("Unknown approval outcome."))
    with transaction.atomic():
        contract = Contract.objects.select_for_update().filter(pk=contract_id).first()
        if contract is None:
            raise NotFound(_("This record does not exist or you may not see it."))
        if contract.status != ContractStatus.PENDING_APPROVAL:
            # A decision arriving twice (a retried job) changes nothing the second time.
            return contract
        new_status = ContractStatus.ACTIVE if outcome == APPROVED else ContractStatus.DRAFT
        columns: dict[str, Any] = {"status": new_status}
        if new_status == ContractStatus.ACTIVE:
            columns["activated_at"] = clock.now()
        _bump(
            actor,
            contract,
            contract.version,
            {"status": [contract.status, new_status], "approval": [None, outcome]},
            **columns,
        )
        for name, value in columns.items():
            setattr(contract, name, value)
    return contract


def contract_terminate(*, actor: Actor, contract_id: int, version: int, reason: str) -> Contract:
    """End a contract in force early; the reason is required and kept."""
    reason = str(reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the contract is terminated."))
    if len(reason) > 500:
        raise invalid("reason", _("Use at most %(max)d characters.") % {"max": 500})
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        _refuse_stale(actor, contract, version)
        if contract.status != ContractStatus.ACTIVE:
            raise ContractLocked(_("Only a contract in force can be terminated."))
        now = clock.now()
        _bump(
            actor,
            contract,
            version,
            {"status": [contract.status, ContractStatus.TERMINATED], "termination_reason": ["", reason]},
            status=ContractStatus.TERMINATED,
            terminated_at=now,
            termination_reason=reason,
        )
        contract.status, contract.terminated_at, contract.termination_reason = ContractStatus.TERMINATED, now, reason
    return contract


def contracts_expire(*, actor: Actor, today: dt.date | None = None) -> int:
    """Contracts in force whose end date has passed become expired (a scheduled job; idempotent)."""
    if not actor.is_system:
        raise PermissionDenied(_("Only the scheduler expires contracts."))
    today = today or clock.today()
    with transaction.atomic():
        due = list(contracts_past_end(today=today).select_for_update()[:5000])
        if not due:
            return 0
        Contract.objects.filter(pk__in=[c.pk for c in due], status=ContractStatus.ACTIVE).update(
            status=ContractStatus.EXPIRED, version=F("version") + 1, updated_at=clock.now()
        )
        audit_record_many(
            actor=actor,
            verb=Verb.UPDATE,
            targets=due,
            changes={"status": [ContractStatus.ACTIVE, ContractStatus.EXPIRED]},
        )
    return len(due)


def contracts_remind_renewals(*, actor: Actor, today: dt.date | None = None) -> int:
    """Tell each owner once that an active contract ends within the configured number of days."""
    if not actor.is_system:
        raise PermissionDenied(_("Only the scheduler sends renewal reminders."))
    today = today or clock.today()
    days = contract_settings_get().renewal_notice_days
    told = 0
    with transaction.atomic():
        for contract in contracts_due_for_renewal_notice(today=today, days=days)[:5000]:
            # The conditional update claims the reminder: a second run (or a second worker) finds it taken.
            claimed = Contract.objects.filter(pk=contract.pk, renewal_notified_at__isnull=True).update(
                renewal_notified_at=clock.now()
            )
            if not claimed:
                continue
            notify(
                [contract.owner],
                Notice(
                    kind=NotificationKind.CONTRACT_RENEWAL,
                    title=format_lazy(
                        gettext_lazy("Contract {number} ends on {day}"),
                        number=contract.number,
                        day=contract.ends_on.isoformat() if contract.ends_on else "",
                    ),
                    body=format_lazy(
                        gettext_lazy("{title} with {customer}: time to talk about renewal."),
                        title=contract.title,
                        customer=contract.customer.name,
                    ),
                    url=reverse("contracts:detail", args=[contract.pk]),
                    target_type="contracts.contract",
                    target_id=contract.pk,
                ),
            )
            told += 1
    return told


# Attachments -----------------------------------------------------------------------------------


def _check_upload(upload: UploadedFile[bytes]) -> tuple[str, str]:
    """The stored extension and content type, by name and by the file's first bytes."""
    name = PurePath(upload.name or "").name
    extension = PurePath(name).suffix.lower()
    allowed = ALLOWED_ATTACHMENTS.get(extension)
    if allowed is None:
        raise invalid("file", _("Upload a PDF, JPG or PNG file."))
    limit = attachment_max_bytes()
    if (upload.size or 0) > limit:
        raise invalid("file", _("The file is larger than %(size)d MB.") % {"size": max(limit // (1024 * 1024), 1)})
    if not upload.size:
        raise invalid("file", _("The file is empty."))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type, signatures = allowed
    if not any(head.startswith(signature) for signature in signatures):
        raise invalid("file", _("The file's content does not match its type."))
    return extension, content_type


def attachment_add(*, actor: Actor, contract_id: int, upload: UploadedFile[bytes]) -> ContractAttachment:
    """Keep a file (the signed scan) with a draft or active contract."""
    extension, content_type = _check_upload(upload)
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        if contract.status not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
            raise ContractLocked(
                _("Files can be added to a draft or an active contract, not one that is “%(status)s”.")
                % {"status": contract.get_status_display()}
            )
        original = PurePath(upload.name or "file").name[:255]
        attachment = ContractAttachment(
            contract=contract,
            file_name=original,
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=user_of(actor),
            uploaded_at=clock.now(),
        )
        # A random stored name: the person's file name never becomes a path on the server.
        attachment.file.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)
        attachment.save()
        audit_record(actor=actor, verb=Verb.UPDATE, target=contract, changes={"attachments": [None, original]})
    return attachment


def attachment_remove(*, actor: Actor, contract_id: int, attachment_id: int) -> ContractAttachment:
    with transaction.atomic():
        contract = _locked_contract(actor, contract_id)
        if contract.status not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
            raise ContractLocked(_("Files of this contract can no longer change."))
        attachment = ContractAttachment.objects.filter(
            pk=attachment_id, contract=contract, deleted_at__isnull=True
        ).first()
        if attachment is None:
            raise NotFound(_("This record does not exist or you may not see it."))
        attachment.deleted_at = clock.now()
        attachment.save(update_fields=["deleted_at"])
        audit_record(
            actor=actor, verb=Verb.UPDATE, target=contract, changes={"attachments": [attachment.file_name, None]}
        )
    return attachment


# Settings and templates (administrators) ----------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if not can_manage_org(actor):
        raise PermissionDenied(_("Only administrators may change contract settings and templates."))


SETTINGS_FIELDS = ["number_pattern", "renewal_notice_days", "our_party"]


def contract_settings_update(*, actor: Actor, version: int, values: dict[str, Any]) -> ContractSettings:
    """Change the number pattern, the renewal reminder lead time and the default signing entity."""
    _require_admin(actor)
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    if "number_pattern" in values:
        try:
            cleaned["number_pattern"] = parse_pattern(str(values["number_pattern"] or "")).text
        except PatternError as exc:
            errors.append(FieldError("number_pattern", str(exc)))
    if "renewal_notice_days" in values:
        try:
            days = int(values["renewal_notice_days"])
        except (TypeError, ValueError):
            days = -1
        if not 1 <= days <= 365:
            errors.append(FieldError("renewal_notice_days", _("Enter a whole number from 1 to 365.")))
        cleaned["renewal_notice_days"] = days
    if "our_party" in values:
        text = str(values["our_party"] or "").strip()
        if len(text) > 200:
            errors.append(FieldError("our_party", _("Use at most %(max)d characters.") % {"max": 200}))
        cleaned["our_party"] = text
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    with transaction.atomic():
        row = ContractSettings.objects.select_for_update().order_by("pk").first()
        if row is None:
            row = ContractSettings.objects.create()
            version = row.version if version in (0, None) else version
        before = snapshot(row, SETTINGS_FIELDS)
        for name, value in cleaned.items():
            setattr(row, name, value)
        save_versioned(
            actor=actor, instance=row, expected_version=version, before=before, after=snapshot(row, SETTINGS_FIELDS)
        )
    return row


TEMPLATE_FIELDS = ["name", "body", "is_default", "is_active"]


def _clean_template(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in values or not partial:
        name = str(values.get("name") or "").strip()
        if not name:
            raise invalid("name", _("This field is required."))
        if len(name) > 100:
            raise invalid("name", _("Use at most %(max)d characters.") % {"max": 100})
        cleaned["name"] = name
    if "body" in values or not partial:
        body = str(values.get("body") or "")
        if not body.strip():
            raise invalid("body", _("This field is required."))
        if len(body) > 200_000:
            raise invalid("body", _("Use at most %(max)d characters.") % {"max": 200_000})
        check_body(body)
        cleaned["body"] = body
    for flag in ("is_default", "is_active"):
        if flag in values:
            cleaned[flag] = bool(values[flag])
    return cleaned


def _check_template_name(name: str | None, exclude_pk: int | None) -> None:
    if name and ContractTemplate.objects.filter(name=name).exclude(pk=exclude_pk or 0).exists():
        raise invalid("name", _("Another template already has this name."))


def _single_default(template: ContractTemplate) -> None:
    if template.is_default:
        ContractTemplate.objects.exclude(pk=template.pk).filter(is_default=True).update(
            is_default=False, version=F("version") + 1
        )


def template_create(*, actor: Actor, values: dict[str, Any]) -> ContractTemplate:
    """Add a contract template; it must render against a complete sample before it is saved."""
    _require_admin(actor)
    cleaned = _clean_template(values, partial=False)
    with transaction.atomic():
        _check_template_name(cleaned["name"], None)
        template = ContractTemplate.objects.create(**cleaned)
        _single_default(template)
        after = snapshot(template, ["name", "is_default", "is_active"])
        audit_record(actor=actor, verb=Verb.CREATE, target=template, changes=diff({}, after))
    return template


def template_update(*, actor: Actor, template_id: int, version: int, values: dict[str, Any]) -> ContractTemplate:
    _require_admin(actor)
    cleaned = _clean_template(values, partial=True)
    with transaction.atomic():
        template = template_get(template_id=template_id)
        _check_template_name(cleaned.get("name"), template.pk)
        before = snapshot(template, TEMPLATE_FIELDS)
        for name, value in cleaned.items():
            setattr(template, name, value)
        save_versioned(
            actor=actor,
            instance=template,
            expected_version=version,
            before=before,
            after=snapshot(template, TEMPLATE_FIELDS),
        )
        _single_default(template)
    return template


def contract_amount_of_lines(lines: list[ContractLine]) -> Decimal:
    return sum((line.total for line in lines), Decimal(0))
