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
