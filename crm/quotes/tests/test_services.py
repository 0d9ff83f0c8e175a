"""Quotes through their services: numbering, lines and totals, revisions, locking, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm.deals.tests.factories import a_deal
from crm.quotes.errors import QuoteLocked
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.selectors import quote_get, quote_sent_since, quotes_of_deal
from crm.quotes.services import (
    price_list_create,
    price_list_price_set,
    product_create,
    product_update,
    quote_create,
    quote_line_add,
    quote_line_remove,
    quote_line_update,
    quote_new_revision,
    quote_update,
)
from crm.quotes.tests.factories import a_line, a_product, a_quote, fresh


def test_quote_number_counts_up_within_the_year(org: Org) -> None:
    # given a deal of a rep
    deal = a_deal(org.rep_a1)

    # when the rep opens two quotes
    first = quote_create(actor=org.actor(org.rep_a1), deal_id=deal.pk)
    second = quote_create(actor=org.actor(org.rep_a1), deal_id=deal.pk)

    # then they are numbered one after the other, both v1, created by the rep
    year = first.created_at.year
    assert (first.number, second.number) == (f"Q-{year}-00001", f"Q-{year}-00002")
    assert (first.revision, first.status, first.created_by) == (1, QuoteStatus.DRAFT, org.rep_a1)
    assert AuditEntry.objects.filter(target_type="quotes.quote", target_id=first.pk, verb=Verb.CREATE).count() == 1


def test_a_product_line_takes_the_list_price_and_the_product_tax(org: Org) -> None:
    # given a quote and a product at ¥1,200 with 13% VAT
    quote = a_quote(a_deal(org.rep_a1))
    product = a_product()

    # when the rep adds 3 units with 10% off
    line = quote_line_add(
        actor=org.actor(org.rep_a1),
        quote_id=quote.pk,
        version=quote.version,
        values={"product_id": product.pk, "quantity": "3", "discount_percent": "10"},
    )

    # then the line and the quote carry the amounts
    assert (line.description, line.unit, line.unit_price, line.tax_rate) == (
        "云桌面标准版授权",
        "套",
        Decimal("1200.00"),
        Decimal("13.00"),
    )
    assert (line.net_amount, line.tax_amount) == (Decimal("3240.00"), Decimal("421.20"))
    saved = fresh(quote)
    assert (saved.subtotal, saved.tax_amount, saved.total) == (
        Decimal("3240.00"),
        Decimal("421.20"),
        Decimal("3661.20"),
    )
    assert saved.version == quote.version + 1


def test_a_price_list_overrides_the_list_price(org: Org) -> None:
    # given a price list with a partner price for the product
    product = a_product()
    admin = org.actor(org.admin)
    partners = price_list_create(actor=admin, values={"name": "渠道价 2026"})
    price_list_price_set(actor=admin, price_list_id=partners.pk, product_id=product.pk, unit_price="999.50")
    quote = a_quote(a_deal(org.rep_a1), price_list_id=partners.pk)

    # when a line of the product is added
    line = a_line(quote, product)

    # then it is priced from the price list
    assert line.unit_price == Decimal("999.50")
    assert fresh(quote).price_list == partners


def test_a_free_text_line_needs_a_price(org: Org) -> None:
    quote = a_quote(a_deal(org.rep_a1))

    with pytest.raises(ValidationFailed) as refused:
        quote_line_add(
            actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version, values={"description": "培训"}
        )

    assert [error.field for error in refused.value.errors] == ["unit_price"]


def test_changing_the_overall_discount_recalculates_every_line(org: Org) -> None:
    # given a quote with a ¥5,000 service line at 6%
    quote = a_quote(a_deal(org.rep_a1))
    line = a_line(quote)

    # when 5% overall discount is given
    updated = quote_update(
        actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version, values={"discount_percent": "5"}
    )

    # then the line and the totals follow
    line.refresh_from_db()
    assert (line.net_amount, line.tax_amount) == (Decimal("4750.00"), Decimal("285.00"))
    assert (updated.subtotal, updated.total) == (Decimal("4750.00"), Decimal("5035.00"))


def test_updating_and_removing_lines_keeps_the_totals_right(org: Org) -> None:
    quote = a_quote(a_deal(org.rep_a1))
    first = a_line(quote)
    a_line(quote, description="驻场运维", unit_price="2000.00")
    rep = org.actor(org.rep_a1)

    quote_line_update(
        actor=rep, quote_id=quote.pk, line_id=first.pk, version=fresh(quote).version, values={"quantity": "2"}
    )
    after_update = fresh(quote)
    quote_line_remove(actor=rep, quote_id=quote.pk, line_id=first.pk, version=after_update.version)

    assert after_update.subtotal == Decimal("12000.00")
    assert fresh(quote).subtotal == Decimal("2000.00")
    assert fresh(quote).total == Decimal("2120.00")


def test_a_stale_version_is_refused_with_a_conflict(org: Org) -> None:
    # given a quote someone changed after the rep read it
    quote = a_quote(a_deal(org.rep_a1))
    a_line(quote)

    # when the rep writes with the version they read first
    with pytest.raises(Conflict):
        quote_update(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=1, values={"notes": "含三年维保"})

    # then nothing changed
    assert fresh(quote).notes == ""


def test_new_revision_copies_the_latest_and_locks_the_older_ones(org: Org) -> None:
    # given v1 with a line
    quote = a_quote(a_deal(org.rep_a1), terms="付款方式：预付 30%")
    a_line(quote)

    # when the rep makes a new revision
    v2 = quote_new_revision(actor=org.actor(org.rep_a1), quote_id=quote.pk)

    # then v2 is a draft copy under the same number and v1 is read-only
    assert (v2.number, v2.revision, v2.status, v2.terms) == (quote.number, 2, QuoteStatus.DRAFT, "付款方式：预付 30%")
    assert [line.description for line in v2.lines.all()] == ["实施服务"]
    assert fresh(v2).total == fresh(quote).total == Decimal("5300.00")
    assert fresh(quote).is_superseded is True
    with pytest.raises(QuoteLocked):
        quote_update(
            actor=org.actor(org.rep_a1), quote_id=quote.pk, version=fresh(quote).version, values={"notes": "x"}
        )


def test_new_revision_from_an_old_one_copies_the_latest(org: Org) -> None:
    quote = a_quote(a_deal(org.rep_a1))
    a_line(quote)
    v2 = quote_new_revision(actor=org.actor(org.rep_a1), quote_id=quote.pk)
    a_line(v2, description="加购培训", unit_price="800.00")

    v3 = quote_new_revision(actor=org.actor(org.rep_a1), quote_id=quote.pk)

    assert v3.revision == 3
    assert v3.lines.count() == 2
    assert [q.revision for q in quotes_of_deal(viewer=org.actor(org.rep_a1), deal_id=quote.deal_id)] == [3, 2, 1]


def test_a_rep_of_another_team_neither_sees_nor_changes_the_quote(org: Org) -> None:
    quote = a_quote(a_deal(org.rep_a1))

    with pytest.raises(NotFound):
        quote_get(viewer=org.actor(org.rep_n1), quote_id=quote.pk)
    with pytest.raises(NotFound):
        quote_update(actor=org.actor(org.rep_n1), quote_id=quote.pk, version=quote.version, values={"notes": "x"})
    with pytest.raises(NotFound):
        quote_create(actor=org.actor(org.rep_n1), deal_id=quote.deal_id)


def test_finance_sees_the_quote_but_may_not_change_it(org: Org) -> None:
    # given a rep's quote; finance sees every record but edits none
    quote = a_quote(a_deal(org.rep_a1))
    viewer = org.actor(org.finance)

    # when finance reads it and then tries to change it
    seen = quote_get(viewer=viewer, quote_id=quote.pk)

    # then reading works and changing is refused
    assert seen.pk == quote.pk
    with pytest.raises(PermissionDenied):
        quote_update(actor=viewer, quote_id=quote.pk, version=quote.version, values={"notes": "x"})


def test_the_team_manager_may_change_a_reps_quote(org: Org) -> None:
    quote = a_quote(a_deal(org.rep_a1))

    updated = quote_update(
        actor=org.actor(org.east_a_manager), quote_id=quote.pk, version=quote.version, values={"notes": "已与客户确认"}
    )

    assert updated.notes == "已与客户确认"


def test_only_administrators_change_the_catalogue(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        product_create(actor=org.actor(org.rep_a1), values={"sku": "X-1", "name": "x", "list_price": "1"})


def test_product_sku_is_unique_regardless_of_case(org: Org) -> None:
    a_product("YZM-STD")

    with pytest.raises(ValidationFailed) as refused:
        product_create(actor=org.actor(org.admin), values={"sku": "yzm-std", "name": "重复", "list_price": "1"})

    assert [error.field for error in refused.value.errors] == ["sku"]


def test_product_update_is_audited_and_versioned(org: Org) -> None:
    product = a_product()

    product_update(actor=org.actor(org.admin), product_id=product.pk, version=1, values={"list_price": "1350.00"})

    entry = AuditEntry.objects.get(target_type="quotes.product", target_id=product.pk, verb=Verb.UPDATE)
    assert entry.changes == {"list_price": ["1200.00", "1350.00"]}
    with pytest.raises(Conflict):
        product_update(actor=org.actor(org.admin), product_id=product.pk, version=1, values={"name": "旧版本"})


def test_bad_numbers_are_refused_on_their_field(org: Org) -> None:
    quote = a_quote(a_deal(org.rep_a1))
    rep = org.actor(org.rep_a1)

    for values, field in [
        ({"description": "x", "unit_price": "abc"}, "unit_price"),
        ({"description": "x", "unit_price": "1", "quantity": "0"}, "quantity"),
        ({"description": "x", "unit_price": "1", "discount_percent": "120"}, "discount_percent"),
        ({"description": "x", "unit_price": "1.001"}, "unit_price"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            quote_line_add(actor=rep, quote_id=quote.pk, version=quote.version, values=values)
        assert [error.field for error in refused.value.errors] == [field]


def test_quote_sent_since_answers_for_sent_quotes_only(org: Org) -> None:
    # given a deal with a draft quote and one sent yesterday
    deal = a_deal(org.rep_a1)
    a_quote(deal)
    sent = a_quote(deal)
    yesterday = sent.created_at - dt.timedelta(days=1)
    Quote.objects.filter(pk=sent.pk).update(status=QuoteStatus.SENT, sent_at=yesterday)

    # then
    assert quote_sent_since(deal.pk, None) is True
    assert quote_sent_since(deal.pk, yesterday) is True
    assert quote_sent_since(deal.pk, yesterday + dt.timedelta(seconds=1)) is False
    assert quote_sent_since(a_deal(org.rep_a1).pk, None) is False


def test_a_sent_quote_proves_the_deals_quote_sent_requirement(org: Org) -> None:
    from crm.deals.stage_rules import EVIDENCE_RULES

    # given a deal with only a draft quote
    deal = a_deal(org.rep_a1)
    draft = a_quote(deal)
    rule = EVIDENCE_RULES["quote_sent"]
    assert rule.holds(deal) is False
    # when the quote is sent
    Quote.objects.filter(pk=draft.pk).update(status=QuoteStatus.SENT, sent_at=draft.created_at)
    # then the stage requirement "a quote sent to the customer" holds
    assert rule.holds(deal) is True
