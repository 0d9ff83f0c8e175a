"""Web input parsing for contracts, their lines, attachments, settings and templates. Rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(forms.Form):
    title = forms.CharField(label=_("Contract title"), max_length=200)
    customer_id = forms.ChoiceField(label=_("Customer"), choices=[])
    amount = forms.CharField(label=_("Amount"), max_length=30, required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    signed_on = forms.DateField(label=_("Sign date"), required=False, widget=_date_input())
    starts_on = forms.DateField(label=_("Start date"), required=False, widget=_date_input())
    ends_on = forms.DateField(label=_("End date"), required=False, widget=_date_input())
    our_party = forms.CharField(label=_("Our signing entity"), max_length=200, required=False)
    customer_party = forms.CharField(label=_("Customer signing entity"), max_length=200, required=False)
    owner_id = forms.ChoiceField(label=_("Owner"), choices=[], required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        customers: list[tuple[int, str]],
        users: list[tuple[int, str]],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer_id"].choices = [("", "—"), *customers]  # type: ignore[attr-defined]
        self.fields["owner_id"].choices = users  # type: ignore[attr-defined]
        if editing:
            # The customer is fixed once the contract exists: its number and history belong to it.
            del self.fields["customer_id"]


class ContractLineForm(forms.Form):
    product_id = forms.ChoiceField(label=_("Product"), choices=[], required=False)
    name = forms.CharField(label=_("Item"), max_length=300, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=20, initial="1")
    unit_price = forms.CharField(label=_("Unit price"), max_length=30, required=False)
    discount_percent = forms.CharField(label=_("Discount (%)"), max_length=10, required=False)
    tax_rate = forms.CharField(label=_("Tax rate (%)"), max_length=10, required=False)

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_id"].choices = [("", _("Free-text item")), *products]  # type: ignore[attr-defined]


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, JPG or PNG, at most 20 MB."))


class SettingsForm(forms.Form):
    number_pattern = forms.CharField(
        label=_("Number pattern"),
        max_length=60,
        help_text=_("Placeholders: {yyyy} year, {yy} short year, {mm} month, {seq:05d} sequence with 5 digits."),
    )
    renewal_notice_days = forms.IntegerField(
        label=_("Renewal reminder (days before the end date)"), min_value=1, max_value=365
    )
    our_party = forms.CharField(label=_("Our signing entity"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    body = forms.CharField(
        label=_("Template (HTML)"),
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-mono text-xs", "spellcheck": "false"}),
        help_text=_(
            "Placeholders: {{ contract.number }}, {{ contract.title }}, {{ contract.amount }}, "
            "{{ contract.amount_in_words }}, {{ contract.starts_on }}, {{ contract.ends_on }}, "
            "{{ contract.our_party }}, {{ contract.customer_party }}, {{ customer.name }}, "
            "{{ customer.credit_code }}, {{ company }}, and {% for line in lines %} … {% endfor %} "
            "with line.name, line.quantity, line.unit_price, line.total."
        ),
    )
    is_default = forms.BooleanField(label=_("Default template"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TerminateForm(forms.Form):
    reason = forms.CharField(label=_("Reason for termination"), max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput)
