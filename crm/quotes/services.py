"""Every write to the catalogue, price lists, discount limits and quotes, audited in the same transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, PermissionDenied, ValidationFailed
from crm.identity.models import Role
from crm.identity.rights import can_manage_org, user_of
from crm.quotes import pricing
from crm.quotes.errors import QuoteLocked
from crm.quotes.models import (
    DiscountLimit,
    PriceList,
    PriceListItem,
    Product,
    Quote,
    QuoteLine,
    QuoteNumberSequence,
    QuoteStatus,
)
from crm.quotes.selectors import (
    deal_may_quote,
    price_list_get,
    price_of,
    product_get,
    quote_deal,
    quote_get,
    quote_may_change,
)

PRODUCT_FIELDS = ["sku", "name", "unit", "list_price", "currency", "tax_rate", "description", "is_active"]
PRICE_LIST_FIELDS = ["name", "currency", "is_active"]
QUOTE_FIELDS = ["price_list", "currency", "valid_until", "discount_percent", "notes", "terms"]
TOTAL_FIELDS = ["subtotal", "tax_amount", "total", "status"]
MAX_MONEY = Decimal("99999999999999.99")
MAX_QUANTITY = Decimal("99999999999.999")
DEFAULT_VALIDITY_DAYS = 30


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _decimal(field: str, raw: Any, *, low: Decimal, high: Decimal, places: int) -> Decimal:
    """A number within [low, high] with at most `places` decimals, or a message naming the field."""
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise _invalid(field, _("Enter a number.")) from None
    if not value.is_finite():
        raise _invalid(field, _("Enter a number."))
    if value < low or value > high:
        raise _invalid(field, _("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high})
    exact = value.quantize(Decimal(1).scaleb(-places))
    if value != exact:
        raise _invalid(field, _("Use at most %(places)d decimal places.") % {"places": places})
    # Returned at the column's scale, so the saved instance reads exactly like a reloaded one.
    return exact


def _text(field: str, raw: Any, *, max_length: int, required: bool = False) -> str:
    value = str(raw or "").strip()
    if required and not value:
        raise _invalid(field, _("This field is required."))
    if len(value) > max_length:
        raise _invalid(field, _("Use at most %(max)d characters.") % {"max": max_length})
    return value


def _currency(raw: Any) -> str:
    value = str(raw or "CNY").strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise _invalid("currency", _("Enter a three-letter currency code such as CNY."))
    return value


def _percent(field: str, raw: Any) -> Decimal:
    return _decimal(field, raw, low=Decimal(0), high=Decimal(100), places=2)


def _require_catalogue_admin(actor: Actor) -> None:
    if not can_manage_org(actor):
        raise PermissionDenied(_("Only administrators may change the product catalogue and discount limits."))


# Products ----------------------------------------------------------------------------------------


def _clean_product(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "sku" in values or not partial:
        cleaned["sku"] = _text("sku", values.get("sku"), max_length=50, required=True)
    if "name" in values or not partial:
        cleaned["name"] = _text("name", values.get("name"), max_length=200, required=True)
    if "unit" in values or not partial:
        cleaned["unit"] = _text("unit", values.get("unit") or "个", max_length=20, required=True)
    if "list_price" in values or not partial:
        cleaned["list_price"] = _decimal(
            "list_price", values.get("list_price"), low=Decimal(0), high=MAX_MONEY, places=2
        )
    if "currency" in values or not partial:
        cleaned["currency"] = _currency(values.get("currency"))
    if "tax_rate" in values or not partial:
        raw = values.get("tax_rate")
        cleaned["tax_rate"] = _percent("tax_rate", 13 if raw in (None, "") else raw)
    if "description" in values or not partial:
        cleaned["description"] = _text("description", values.get("description"), max_length=5000)
    if "is_active" in values or not partial:
        cleaned["is_active"] = bool(values.get("is_active", True))
    return cleaned


def _check_sku(sku: str | None, exclude_pk: int | None) -> None:
    if sku and Product.objects.filter(sku__iexact=sku).exclude(pk=exclude_pk or 0).exists():
        raise _invalid("sku", _("Another product already uses this SKU."))


def product_create(*, actor: Actor, values: dict[str, Any]) -> Product:
    """Add a product to the catalogue (administrators only); SKUs are unique regardless of case."""
    _require_catalogue_admin(actor)
    cleaned = _clean_product(values, partial=False)
    with transaction.atomic():
        _check_sku(cleaned["sku"], None)
        product = Product(**cleaned)
        try:
            with transaction.atomic():
                product.save()
        except IntegrityError as exc:
            raise _invalid("sku", _("Another product already uses this SKU.")) from exc
        audit_record(actor=actor, verb=Verb.CREATE, target=product, changes=diff({}, snapshot(product, PRODUCT_FIELDS)))
    return product


def product_update(*, actor: Actor, product_id: int, version: int, values: dict[str, Any]) -> Product:
    """Change a product; quotes already written keep the prices and tax they were given."""
    _require_catalogue_admin(actor)
    cleaned = _clean_product(values, partial=True)
    with transaction.atomic():
        product = product_get(product_id=product_id)
        _check_sku(cleaned.get("sku"), product.pk)
        before = snapshot(product, PRODUCT_FIELDS)
        for name, value in cleaned.items():
            setattr(product, name, value)
        try:
            with transaction.atomic():
                save_versioned(
                    actor=actor,
                    instance=product,
                    expected_version=version,
                    before=before,
                    after=snapshot(product, PRODUCT_FIELDS),
                )
        except IntegrityError as exc:
            raise _invalid("sku", _("Another product already uses this SKU.")) from exc
    return product


# Price lists -------------------------------------------------------------------------------------


def _clean_price_list(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in values or not partial:
        cleaned["name"] = _text("name", values.get("name"), max_length=100, required=True)
    if "currency" in values or not partial:
        cleaned["currency"] = _currency(values.get("currency"))
    if "is_active" in values or not partial:
        cleaned["is_active"] = bool(values.get("is_active", True))
    return cleaned


def _check_price_list_name(name: str | None, exclude_pk: int | None) -> None:
    if name and PriceList.objects.filter(name=name).exclude(pk=exclude_pk or 0).exists():
        raise _invalid("name", _("Another price list already has this name."))


def price_list_create(*, actor: Actor, values: dict[str, Any]) -> PriceList:
    """Add a price list (administrators only)."""
    _require_catalogue_admin(actor)
    cleaned = _clean_price_list(values, partial=False)
    with transaction.atomic():
        _check_price_list_name(cleaned["name"], None)
        price_list = PriceList.objects.create(**cleaned)
        audit_record(
            actor=actor, verb=Verb.CREATE, target=price_list, changes=diff({}, snapshot(price_list, PRICE_LIST_FIELDS))
        )
    return price_list


def price_list_update(*, actor: Actor, price_list_id: int, version: int, values: dict[str, Any]) -> PriceList:
    _require_catalogue_admin(actor)
    cleaned = _clean_price_list(values, partial=True)
    with transaction.atomic():
        price_list = price_list_get(price_list_id=price_list_id)
        _check_price_list_name(cleaned.get("name"), price_list.pk)
        before = snapshot(price_list, PRICE_LIST_FIELDS)
        for name, value in cleaned.items():
            setattr(price_list, name, value)
        save_versioned(
            actor=actor,
            instance=price_list,
            expected_version=version,
            before=before,
            after=snapshot(price_list, PRICE_LIST_FIELDS),
        )
    return price_list


def price_list_price_set(*, actor: Actor, price_list_id: int, product_id: int, unit_price: Any) -> PriceListItem | None:
    """Set (or, with an empty price, remove) a product's price in a price list."""
    _require_catalogue_admin(actor)
    with transaction.atomic():
        price_list = price_list_get(price_list_id=price_list_id)
        product = product_get(product_id=product_id)
        existing = PriceListItem.objects.filter(price_list=price_list, product=product).first()
        old = str(existing.unit_price) if existing else None
        item: PriceListItem | None
        if unit_price in (None, ""):
            if existing is not None:
                existing.delete()
            item = None
        else:
            price = _decimal("unit_price", unit_price, low=Decimal(0), high=MAX_MONEY, places=2)
            item, _created = PriceListItem.objects.update_or_create(
                price_list=price_list, product=product, defaults={"unit_price": price}
            )
        new = str(item.unit_price) if item else None
        if old != new:
            PriceList.objects.filter(pk=price_list.pk).update(version=F("version") + 1, updated_at=timezone.now())
            audit_record(actor=actor, verb=Verb.UPDATE, target=price_list, changes={product.sku: [old, new]})
    return item


# Discount limits -------------------------------------------------------------------------------


def discount_limit_set(*, actor: Actor, role_id: int, max_line_discount: Any, max_quote_discount: Any) -> DiscountLimit:
    """Set the largest line and overall discount a role may give without approval (administrators only)."""
    _require_catalogue_admin(actor)
    line = _percent("max_line_discount", max_line_discount)
    overall = _percent("max_quote_discount", max_quote_discount)
    with transaction.atomic():
        role = Role.objects.filter(pk=role_id).first()
        if role is None:
            raise _invalid("role", _("Choose a role."))
        limit, _created = DiscountLimit.objects.get_or_create(role=role)
        before = snapshot(limit, ["max_line_discount", "max_quote_discount"])
        limit.max_line_discount = line
        limit.max_quote_discount = overall
        limit.save(update_fields=["max_line_discount", "max_quote_discount", "updated_at"])
        changes = diff(before, snapshot(limit, ["max_line_discount", "max_quote_discount"]))
        if changes:
            audit_record(actor=actor, verb=Verb.UPDATE, target=limit, changes=changes)
    return limit


# Quotes ----------------------------------------------------------------------------------------


def quote_number_next(year: int) -> str:
    """The next Q-<year>-<nnnnn>; the sequence row's lock makes concurrent quotes get distinct numbers.

    Call inside a transaction: the row stays locked until it commits.
    """
    try:
        with transaction.atomic():
            QuoteNumberSequence.objects.get_or_create(year=year)
    except IntegrityError:
        # Another transaction created this year's row at the same moment; it exists now.
        pass
    sequence = QuoteNumberSequence.objects.select_for_update().get(year=year)
    sequence.last_number = F("last_number") + 1
    sequence.save(update_fields=["last_number"])
    sequence.refresh_from_db(fields=["last_number"])
    return f"Q-{year}-{sequence.last_number:05d}"


def _require_change(actor: Actor, quote: Quote) -> None:
    if not quote_may_change(actor, quote):
        raise PermissionDenied(_("You may view this quote but not change it."))


def _require_editable(quote: Quote) -> None:
    if quote.is_superseded:
        raise QuoteLocked(_("A newer revision of this quote exists; change that one instead."))
    if not quote.is_editable:
        raise QuoteLocked(
            _("A quote that is “%(status)s” can no longer change; create a new revision instead.")
            % {"status": quote.get_status_display()}
        )


def _clean_quote(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "price_list_id" in values:
        raw = values["price_list_id"]
        if raw in (None, "", 0):
            cleaned["price_list"] = None
        else:
            price_list = PriceList.objects.filter(pk=raw, is_active=True).first() if str(raw).isdigit() else None
            if price_list is None:
                raise _invalid("price_list", _("Choose an active price list."))
            cleaned["price_list"] = price_list
    if "currency" in values:
        cleaned["currency"] = _currency(values["currency"])
    if "valid_until" in values:
        raw = values["valid_until"]
        if raw in (None, ""):
            cleaned["valid_until"] = None
        elif isinstance(raw, dt.date):
            cleaned["valid_until"] = raw
        else:
            try:
                cleaned["valid_until"] = dt.date.fromisoformat(str(raw))
            except ValueError:
                raise _invalid("valid_until", _("Enter a date as YYYY-MM-DD.")) from None
    if "discount_percent" in values:
        raw = values["discount_percent"]
        cleaned["discount_percent"] = _percent("discount_percent", 0 if raw in (None, "") else raw)
    if "notes" in values:
        cleaned["notes"] = _text("notes", values["notes"], max_length=5000)
    if "terms" in values:
        cleaned["terms"] = _text("terms", values["terms"], max_length=5000)
    return cleaned


def _recalculate(quote: Quote, lines: list[QuoteLine]) -> list[QuoteLine]:
    """Store each line's net and tax and the quote's totals; returns the lines whose amounts changed."""
    changed = []
    amounts = []
    for line in lines:
        result = pricing.line_amounts(
            pricing.LineInput(line.quantity, line.unit_price, line.discount_percent, line.tax_rate),
            overall_discount=quote.discount_percent,
        )
        amounts.append(result)
        if (line.net_amount, line.tax_amount) != (result.net, result.tax):
            line.net_amount, line.tax_amount = result.net, result.tax
            changed.append(line)
    totals = pricing.quote_amounts(amounts)
    quote.subtotal, quote.tax_amount, quote.total = totals.subtotal, totals.tax, totals.total
    return changed


def _commit(
    actor: Actor,
    quote: Quote,
    version: int,
    before: dict[str, Any],
    lines: list[QuoteLine],
    *,
    extra: dict[str, list[Any]] | None = None,
) -> Quote:
    """Recalculate, send an approved/rejected quote back to draft, and save it under its version lock."""
    changed = _recalculate(quote, lines)
    if changed:
        QuoteLine.objects.bulk_update(changed, ["net_amount", "tax_amount"])
    # Approval covers the quote as it was decided on; any change needs a fresh decision.
    quote.status = QuoteStatus.DRAFT
    fields = [*QUOTE_FIELDS, *TOTAL_FIELDS]
    after = snapshot(quote, fields)
    changes = diff(before, after)
    changes.update(extra or {})
    if not changes:
        return quote
    now = timezone.now()
    columns = {name: getattr(quote, getattr(quote._meta.get_field(name), "attname", name)) for name in fields}
    updated = Quote.objects.filter(pk=quote.pk, version=version).update(
        **columns, version=F("version") + 1, updated_at=now
    )
    if updated == 0:
        # Same refusal and wording as every other versioned record.
        save_versioned(actor=actor, instance=quote, expected_version=version, before={}, after={})
    quote.version = version + 1
    quote.updated_at = now
    audit_record(actor=actor, verb=Verb.UPDATE, target=quote, changes=changes)
    return quote


def _locked_quote(actor: Actor, quote_id: int, version: int) -> Quote:
    quote = quote_get(viewer=actor, quote_id=quote_id, for_update=True)
    _require_change(actor, quote)
    if quote.version != version:
        save_versioned(actor=actor, instance=quote, expected_version=version, before={}, after={})
    _require_editable(quote)
    return quote


def quote_create(*, actor: Actor, deal_id: int, values: dict[str, Any] | None = None) -> Quote:
    """Open quote v1 on a deal the actor may change, numbered Q-<year>-<nnnnn>, valid 30 days by default."""
    user = user_of(actor)
    cleaned = _clean_quote(values or {})
    with transaction.atomic():
        deal = quote_deal(viewer=actor, deal_id=deal_id)
        if not deal_may_quote(actor, deal):
            raise PermissionDenied(_("You may view this deal but not change it."))
        today = timezone.localdate(clock.now())
        quote = Quote(
            deal=deal,
            number=quote_number_next(today.year),
            revision=1,
            currency=deal.currency or "CNY",
            valid_until=today + dt.timedelta(days=DEFAULT_VALIDITY_DAYS),
            created_by=user,
        )
        for name, value in cleaned.items():
            setattr(quote, name, value)
        if quote.price_list is not None and "currency" not in cleaned:
            quote.currency = quote.price_list.currency
        quote.save()
        after = snapshot(quote, ["deal", "number", "revision", *QUOTE_FIELDS])
        audit_record(actor=actor, verb=Verb.CREATE, target=quote, changes=diff({}, after))
    return quote


def quote_update(*, actor: Actor, quote_id: int, version: int, values: dict[str, Any]) -> Quote:
    """Change the quote's terms; a changed overall discount recalculates every line."""
    cleaned = _clean_quote(values)
    with transaction.atomic():
        quote = _locked_quote(actor, quote_id, version)
        before = snapshot(quote, [*QUOTE_FIELDS, *TOTAL_FIELDS])
        for name, value in cleaned.items():
            setattr(quote, name, value)
        return _commit(actor, quote, version, before, list(quote.lines.order_by("position", "id")))


def _clean_line(values: dict[str, Any], *, quote: Quote, partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    product: Product | None = None
    if not partial:
        raw = values.get("product_id")
        if raw not in (None, "", 0):
            product = Product.objects.filter(pk=raw, is_active=True).first() if str(raw).isdigit() else None
            if product is None:
                raise _invalid("product", _("Choose an active product."))
        cleaned["product"] = product
    if "description" in values or not partial:
        default = product.name if product else ""
        cleaned["description"] = _text(
            "description", values.get("description") or default, max_length=300, required=True
        )
    if "unit" in values or not partial:
        cleaned["unit"] = _text("unit", values.get("unit") or (product.unit if product else ""), max_length=20)
    if "quantity" in values or not partial:
        raw = values.get("quantity")
        quantity = _decimal(
            "quantity", 1 if raw in (None, "") else raw, low=Decimal("0.001"), high=MAX_QUANTITY, places=3
        )
        cleaned["quantity"] = quantity
    if "unit_price" in values and values["unit_price"] not in (None, ""):
        cleaned["unit_price"] = _decimal("unit_price", values["unit_price"], low=Decimal(0), high=MAX_MONEY, places=2)
    elif not partial:
        if product is None:
            raise _invalid("unit_price", _("Enter the unit price of a free-text line."))
        cleaned["unit_price"] = price_of(product=product, price_list_id=quote.price_list_id)
    if "discount_percent" in values or not partial:
        raw = values.get("discount_percent")
        cleaned["discount_percent"] = _percent("discount_percent", 0 if raw in (None, "") else raw)
    if "tax_rate" in values and values["tax_rate"] not in (None, ""):
        cleaned["tax_rate"] = _percent("tax_rate", values["tax_rate"])
    elif not partial:
        cleaned["tax_rate"] = product.tax_rate if product else Decimal(13)
    return cleaned


def quote_line_add(*, actor: Actor, quote_id: int, version: int, values: dict[str, Any]) -> QuoteLine:
    """Add a product line (price from the quote's price list, else the list price; tax from the product)."""
    with transaction.atomic():
        quote = _locked_quote(actor, quote_id, version)
        cleaned = _clean_line(values, quote=quote, partial=False)
        before = snapshot(quote, [*QUOTE_FIELDS, *TOTAL_FIELDS])
        lines = list(quote.lines.order_by("position", "id"))
        position = (lines[-1].position + 1) if lines else 1
        line = QuoteLine.objects.create(quote=quote, position=position, **cleaned)
        _commit(actor, quote, version, before, [*lines, line], extra={"lines": [None, line.description]})
    line.refresh_from_db()
    return line


def quote_line_update(*, actor: Actor, quote_id: int, line_id: int, version: int, values: dict[str, Any]) -> QuoteLine:
    with transaction.atomic():
        quote = _locked_quote(actor, quote_id, version)
        lines = list(quote.lines.order_by("position", "id"))
        line = next((row for row in lines if row.pk == line_id), None)
        if line is None:
            raise _invalid("line", _("This line is not on the quote any more."))
        cleaned = _clean_line(values, quote=quote, partial=True)
        line_fields = ["description", "unit", "quantity", "unit_price", "discount_percent", "tax_rate"]
        line_before = snapshot(line, line_fields)
        for name, value in cleaned.items():
            setattr(line, name, value)
        line.save(update_fields=list(cleaned))
        line_changes = diff(line_before, snapshot(line, line_fields))
        before = snapshot(quote, [*QUOTE_FIELDS, *TOTAL_FIELDS])
        extra = {f"lines.{line.position}.{name}": values for name, values in line_changes.items()}
        _commit(actor, quote, version, before, lines, extra=extra)
    line.refresh_from_db()
    return line


def quote_line_remove(*, actor: Actor, quote_id: int, line_id: int, version: int) -> Quote:
    with transaction.atomic():
        quote = _locked_quote(actor, quote_id, version)
        lines = list(quote.lines.order_by("position", "id"))
        line = next((row for row in lines if row.pk == line_id), None)
        if line is None:
            raise _invalid("line", _("This line is not on the quote any more."))
        before = snapshot(quote, [*QUOTE_FIELDS, *TOTAL_FIELDS])
        remaining = [row for row in lines if row.pk != line_id]
        line.delete()
        return _commit(actor, quote, version, before, remaining, extra={"lines": [line.description, None]})


def quote_new_revision(*, actor: Actor, quote_id: int) -> Quote:
    """Copy the latest revision into a new draft; every older revision becomes read-only."""
    user = user_of(actor)
    with transaction.atomic():
        source = quote_get(viewer=actor, quote_id=quote_id)
        _require_change(actor, source)
        # Locking every revision of the number serialises two people making a new revision at once.
        revisions = list(Quote.objects.select_for_update().filter(number=source.number).order_by("-revision"))
        latest = revisions[0]
        copy = Quote(
            deal_id=latest.deal_id,
            number=latest.number,
            revision=latest.revision + 1,
            price_list_id=latest.price_list_id,
            currency=latest.currency,
            valid_until=latest.valid_until,
            discount_percent=latest.discount_percent,
            subtotal=latest.subtotal,
            tax_amount=latest.tax_amount,
            total=latest.total,
            notes=latest.notes,
            terms=latest.terms,
            created_by=user,
        )
        copy.save()
        QuoteLine.objects.bulk_create(
            [
                QuoteLine(
                    quote=copy,
                    position=line.position,
                    product_id=line.product_id,
                    description=line.description,
                    unit=line.unit,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount_percent=line.discount_percent,
                    tax_rate=line.tax_rate,
                    net_amount=line.net_amount,
                    tax_amount=line.tax_amount,
                )
                for line in latest.lines.order_by("position", "id")
            ]
        )
        for old in revisions:
            if not old.is_superseded:
                Quote.objects.filter(pk=old.pk).update(
                    is_superseded=True, version=F("version") + 1, updated_at=timezone.now()
                )
                audit_record(actor=actor, verb=Verb.UPDATE, target=old, changes={"is_superseded": [False, True]})
        audit_record(
            actor=actor,
            verb=Verb.CREATE,
            target=copy,
            changes=diff({}, snapshot(copy, ["deal", "number", "revision", *QUOTE_FIELDS, "total"])),
        )
    copy.deal = source.deal
    return copy


def quote_record_outcome(*, actor: Actor, quote_id: int, version: int, accepted: bool) -> Quote:
    """Record the customer's answer to a sent quote."""
    with transaction.atomic():
        quote = quote_get(viewer=actor, quote_id=quote_id, for_update=True)
        _require_change(actor, quote)
        if quote.status != QuoteStatus.SENT:
            raise QuoteLocked(_("Only a sent quote can be accepted or declined."))
        before = snapshot(quote, ["status"])
        quote.status = QuoteStatus.ACCEPTED if accepted else QuoteStatus.DECLINED
        save_versioned(
            actor=actor, instance=quote, expected_version=version, before=before, after=snapshot(quote, ["status"])
        )
    return quote
