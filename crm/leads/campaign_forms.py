"""Web input parsing for campaigns and their web forms. Business rules live in crm.leads.webforms."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.leads.models import Channel
from crm.leads.webform_views import FIELD_LABELS


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=100)
    channel = forms.ChoiceField(label=_("Lead source"), choices=Channel.choices, initial=Channel.WEB_FORM)
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    owner_id = forms.ChoiceField(
        label=_("Default owner"), choices=[], help_text=_("New leads from this campaign are owned by this user.")
    )
    team_id = forms.ChoiceField(label=_("Default team"), choices=[], required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, owners: list[tuple[int, str]], teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner_id"]).choices = [(str(pk), name) for pk, name in owners]
        cast(forms.ChoiceField, self.fields["team_id"]).choices = [("", "—")] + [(str(pk), name) for pk, name in teams]


FIELD_CHOICES = [(key, label) for key, label in FIELD_LABELS.items() if key != "name"]


class WebFormForm(forms.Form):
    title = forms.CharField(label=_("Form title"), max_length=100)
    intro = forms.CharField(
        label=_("Introduction"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    asked_fields = forms.MultipleChoiceField(
        label=_("Fields asked"),
        choices=FIELD_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The name is always asked."),
    )
    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"),
        choices=FIELD_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only fields that are asked can be required; the name always is."),
    )
    consent_text = forms.CharField(
        label=_("Consent text"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial=_("I agree that my details are stored and used to contact me about this event."),
    )
    thank_you_message = forms.CharField(
        label=_("Thank-you message"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    redirect_url = forms.CharField(
        label=_("Redirect after submitting"),
        max_length=500,
        required=False,
        help_text=_("Optional: send visitors to this address instead of the thank-you message."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
