"""Web input parsing for deals and pipelines. Business rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.customers.models import DealRole


class DealForm(forms.Form):
    name = forms.CharField(label=_("Deal name"), max_length=200)
    customer_id = forms.ChoiceField(label=_("Customer"), choices=[])
    pipeline_id = forms.ChoiceField(label=_("Pipeline"), choices=[], required=False)
    amount = forms.CharField(label=_("Amount"), max_length=30, required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    budget = forms.CharField(label=_("Customer budget"), max_length=30, required=False)
    expected_close_on = forms.DateField(
        label=_("Expected close date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    probability = forms.IntegerField(label=_("Probability (%)"), min_value=0, max_value=100, required=False)
    owner_id = forms.ChoiceField(label=_("Owner"), choices=[], required=False)
    collaborator_ids = forms.MultipleChoiceField(label=_("Collaborators"), choices=[], required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        customers: list[tuple[int, str]],
        pipelines: list[tuple[int, str]],
        users: list[tuple[int, str]],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer_id"].choices = [("", "—"), *customers]  # type: ignore[attr-defined]
        self.fields["pipeline_id"].choices = pipelines  # type: ignore[attr-defined]
        self.fields["owner_id"].choices = users  # type: ignore[attr-defined]
        self.fields["collaborator_ids"].choices = users  # type: ignore[attr-defined]
        if editing:
            # Customer and pipeline are fixed once the deal exists: its history belongs to them.
            del self.fields["customer_id"]
            del self.fields["pipeline_id"]


class DealContactForm(forms.Form):
    contact_id = forms.ChoiceField(label=_("Contact"), choices=[])
    role = forms.ChoiceField(label=_("Role in the deal"), choices=DealRole.choices)

    def __init__(self, *args: Any, contacts: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_id"].choices = contacts  # type: ignore[attr-defined]


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    probability = forms.IntegerField(label=_("Default probability (%)"), min_value=0, max_value=100)
    expected_days = forms.IntegerField(label=_("Expected days in stage"), min_value=0, max_value=3650)
    follow_up_days = forms.IntegerField(
        label=_("Stalled after days without follow-up"),
        min_value=0,
        max_value=3650,
        initial=0,
        required=False,
        help_text=_("0: never. A deal longer in the stage than its expected days is stalled as well."),
    )
    allows_override = forms.BooleanField(label=_("Managers may override the requirements"), required=False)
    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox checkbox-xs"}),
    )
    required_evidence = forms.MultipleChoiceField(
        label=_("Required evidence"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox checkbox-xs"}),
    )
    checklist = forms.CharField(
        label=_("Checklist"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One item per line."),
    )

    def clean_follow_up_days(self) -> int:
        return int(self.cleaned_data.get("follow_up_days") or 0)

    def __init__(
        self, *args: Any, field_rules: list[tuple[str, str]], evidence_rules: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["required_fields"].choices = field_rules  # type: ignore[attr-defined]
        self.fields["required_evidence"].choices = evidence_rules  # type: ignore[attr-defined]
