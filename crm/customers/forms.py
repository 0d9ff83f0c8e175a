"""Web input parsing for customers and contacts. Business rules live in services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.customers.models import CompanySize, CustomerSource, DealRole, Grade, LifecycleStage


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class CustomerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    grade = forms.ChoiceField(label=_("Grade"), choices=_blank(Grade.choices), required=False)
    lifecycle_stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=LifecycleStage.choices)
    industry = forms.CharField(label=_("Industry"), max_length=50, required=False)
    tags = forms.CharField(label=_("Tags"), max_length=500, required=False, help_text=_("Separate tags with commas."))
    owner_id = forms.ChoiceField(label=_("Owner"), choices=[], required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=30, required=False)
    size = forms.ChoiceField(label=_("Company size"), choices=_blank(CompanySize.choices), required=False)
    annual_revenue = forms.CharField(label=_("Annual revenue"), max_length=30, required=False)
    revenue_currency = forms.CharField(label=_("Currency"), max_length=3, required=False, initial="CNY")
    source = forms.ChoiceField(label=_("Source"), choices=_blank(CustomerSource.choices), required=False)
    province = forms.CharField(label=_("Province"), max_length=30, required=False)
    city = forms.CharField(label=_("City"), max_length=30, required=False)
    district = forms.CharField(label=_("District"), max_length=30, required=False)
    street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    external_id = forms.CharField(label=_("External ID"), max_length=100, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, owners: list[tuple[int, str]], masked: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choice = cast(forms.ChoiceField, self.fields["owner_id"])
        choice.choices = [(str(pk), name) for pk, name in owners]
        if masked:
            # The viewer sees these masked; they cannot read them, so they cannot change them.
            for name in ("phone", "email"):
                del self.fields[name]


class ContactForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    customer_id = forms.ChoiceField(label=_("Customer"), choices=[], required=False)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    deal_role = forms.ChoiceField(label=_("Role in the deal"), choices=_blank(DealRole.choices), required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=32, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    wechat = forms.CharField(label=_("WeChat"), max_length=100, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    external_id = forms.CharField(label=_("External ID"), max_length=100, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, customers: list[tuple[int, str]], masked: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choice = cast(forms.ChoiceField, self.fields["customer_id"])
        choice.choices = [
            ("", "—"),
            *[(str(pk), name) for pk, name in customers],
        ]
        if masked:
            for name in ("mobile", "phone", "email"):
                del self.fields[name]


def _days_field(label: Any, help_text: Any = "", *, required: bool = False) -> forms.CharField:
    # Parsed and range-checked by the service, so the web and every other entrypoint share its messages.
    return forms.CharField(
        label=label,
        required=required,
        max_length=6,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"min": 1, "max": 3650, "inputmode": "numeric"}),
    )


class NeglectSettingsForm(forms.Form):
    default_days = _days_field(
        _("Default (days)"), _("For customers without a grade, and grades left blank. Blank turns the check off.")
    )
    grade_a_days = _days_field(_("Grade A (days)"), _("Blank: use the default."))
    grade_b_days = _days_field(_("Grade B (days)"), _("Blank: use the default."))
    grade_c_days = _days_field(_("Grade C (days)"), _("Blank: use the default."))
    grade_d_days = _days_field(_("Grade D (days)"), _("Blank: use the default."))
    manager_after_days = _days_field(
        _("Tell the manager after (days)"),
        _("Days a customer stays flagged before the owner's team managers are told as well."),
        required=True,
    )
