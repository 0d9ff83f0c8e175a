"""Web input parsing for follow-ups."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.activities.models import ActivityKind


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ActivityKind.choices, initial=ActivityKind.CALL)
    contact_id = forms.ChoiceField(label=_("Contact"), choices=[], required=False)
    content = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)
    next_step = forms.CharField(label=_("Next step"), max_length=500, required=False)
    next_contact_on = forms.DateField(
        label=_("Next contact date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: object, contacts: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choice = cast(forms.ChoiceField, self.fields["contact_id"])
        choice.choices = [
            ("", "—"),
            *[(str(pk), name) for pk, name in contacts],
        ]


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    due_on = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        label=_("Due time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    remind_at = forms.DateTimeField(
        label=_("Remind me at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    owner_id = forms.ChoiceField(label=_("Owner"), choices=[], required=False)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), max_length=10000, required=False
    )
    customer_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, owners: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choice = cast(forms.ChoiceField, self.fields["owner_id"])
        choice.choices = [(str(pk), name) for pk, name in owners]
        if len(owners) <= 1:
            self.fields["owner_id"].widget = forms.HiddenInput()
