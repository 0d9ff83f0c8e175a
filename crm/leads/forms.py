"""Web input parsing for leads. Business rules live in services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.activities.models import ActivityKind
from crm.leads.models import Channel, LeadStatus


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class LeadForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    company_name = forms.CharField(label=_("Company"), max_length=200, required=False)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=32, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    wechat = forms.CharField(label=_("WeChat"), max_length=100, required=False)
    channel = forms.ChoiceField(label=_("Lead source"), choices=Channel.choices, initial=Channel.MANUAL)
    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    owner_id = forms.ChoiceField(label=_("Owner"), choices=[], required=False)
    industry = forms.CharField(label=_("Industry"), max_length=50, required=False)
    annual_revenue = forms.CharField(label=_("Annual revenue (CNY)"), max_length=30, required=False)
    province = forms.CharField(label=_("Province"), max_length=30, required=False)
    city = forms.CharField(label=_("City"), max_length=30, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    external_id = forms.CharField(label=_("External ID"), max_length=100, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, owners: list[tuple[int, str]], masked: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choice = cast(forms.ChoiceField, self.fields["owner_id"])
        choice.choices = [(str(pk), name) for pk, name in owners]
        if masked:
            # The viewer sees these masked; they cannot read them, so they cannot change them.
            for name in ("mobile", "phone", "email"):
                del self.fields[name]


STATUS_CHOICES = [(value, label) for value, label in LeadStatus.choices if value != LeadStatus.CONVERTED]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES)
    unqualified_reason = forms.CharField(
        label=_("Reason unqualified"),
        max_length=500,
        required=False,
        help_text=_("Required when the lead is unqualified."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ActivityKind.choices, initial=ActivityKind.CALL)
    content = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)
    next_step = forms.CharField(label=_("Next step"), max_length=500, required=False)
    next_contact_on = forms.DateField(
        label=_("Next contact date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
