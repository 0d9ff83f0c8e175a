"""Web input parsing for the catalogue. Business rules (ranges, unique SKU) live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ProductForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=50)
    name = forms.CharField(label=_("Product name"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="个", help_text=_("e.g. 个, 套, 年"))
    list_price = forms.CharField(label=_("List price"), max_length=30)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    tax_rate = forms.CharField(label=_("Tax rate (%)"), max_length=10, initial="13", help_text=_("e.g. 13, 6 or 0"))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PriceListForm(forms.Form):
    name = forms.CharField(label=_("Price list name"), max_length=100)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
