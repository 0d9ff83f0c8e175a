"""Web input of the import wizard (parsing only; the services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.imports.models import MatchKey, Mode, ObjectType


class UploadForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Import into"), choices=ObjectType.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK) or Excel (.xlsx); the first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    template = forms.TypedChoiceField(label=_("Saved mapping"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: object, templates: list[tuple[int, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["template"].choices = [("", _("Guess from the column names")), *(templates or [])]  # type: ignore[attr-defined]


class OptionsForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices)
    match_key = forms.ChoiceField(label=_("Match existing records on"), choices=MatchKey.choices)
    dry_run = forms.BooleanField(label=_("Dry run: check every row, write nothing"), required=False)
    save_as = forms.CharField(label=_("Save this mapping as"), max_length=100, required=False)
