"""Amounts as a customer reads them on a quote: ¥ and thousands separators for CNY."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()

SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"}


@register.filter
def currency_amount(value: Any, currency: str = "CNY") -> str:
    """¥1,234,567.89 for CNY; other currencies with their symbol, or their code when unknown."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    symbol = SYMBOLS.get(currency, f"{currency} ")
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


@register.filter
def plain_number(value: Any) -> str:
    """A quantity or percentage without trailing zeros: 2, 1.5, 12.5."""
    if value is None or value == "":
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
