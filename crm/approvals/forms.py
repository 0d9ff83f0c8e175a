"""Web input for the flow editor, decisions and delegations (parsing only; rules live in services)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.approvals.conditions import OPERATORS
from crm.approvals.models import ApproverKind

CONDITION_ROWS = 3


class FlowForm(forms.Form):
    name = forms.CharField(label=_("Flow name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class StepForm(forms.Form):
    """A step with up to three conditions, shown as rows of (fact, comparison, value)."""

    name = forms.CharField(label=_("Step name"), max_length=100)
    approver_kind = forms.ChoiceField(label=_("Approver"), choices=ApproverKind.choices)
    approver_user = forms.TypedChoiceField(label=_("User"), coerce=int, required=False, empty_value=None)
    approver_role = forms.TypedChoiceField(label=_("Role"), coerce=int, required=False, empty_value=None)
    levels = forms.IntegerField(label=_("Levels of managers"), min_value=1, max_value=5, initial=2, required=False)

    def __init__(
        self,
        *args: Any,
        users: Sequence[tuple[int, str]],
        roles: Sequence[tuple[int, str]],
        facts: Mapping[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        blank: list[tuple[Any, str]] = [("", "—")]
        self.fields["approver_user"].choices = blank + list(users)  # type: ignore[attr-defined]
        self.fields["approver_role"].choices = blank + list(roles)  # type: ignore[attr-defined]
        fact_choices = blank + [(name, str(label)) for name, label in facts.items()]
        for row in range(1, CONDITION_ROWS + 1):
            self.fields[f"fact_{row}"] = forms.ChoiceField(label=_("Condition"), choices=fact_choices, required=False)
            self.fields[f"op_{row}"] = forms.ChoiceField(
                label=_("Comparison"), choices=[(op, str(label)) for op, label in OPERATORS.items()], required=False
            )
            self.fields[f"value_{row}"] = forms.CharField(label=_("Value"), max_length=500, required=False)

    @staticmethod
    def initial_for(step: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": step.name,
            "approver_kind": step.approver_kind,
            "approver_user": step.approver_user_id,
            "approver_role": step.approver_role_id,
            "levels": step.levels,
        }
        for row, condition in enumerate(step.conditions[:CONDITION_ROWS], start=1):
            value = condition.get("value")
            initial[f"fact_{row}"] = condition.get("fact")
            initial[f"op_{row}"] = condition.get("op")
            initial[f"value_{row}"] = ", ".join(value) if isinstance(value, list) else value
        return initial

    def condition_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(self[f"fact_{row}"], self[f"op_{row}"], self[f"value_{row}"]) for row in range(1, CONDITION_ROWS + 1)]

    def values(self) -> dict[str, Any]:
        """What the service takes: rows without a fact are left out."""
        data = self.cleaned_data
        conditions = [
            {"fact": data[f"fact_{row}"], "op": data[f"op_{row}"], "value": data[f"value_{row}"]}
            for row in range(1, CONDITION_ROWS + 1)
            if data.get(f"fact_{row}")
        ]
        return {
            "name": data["name"],
            "approver_kind": data["approver_kind"],
            "approver_user_id": data.get("approver_user"),
            "approver_role_id": data.get("approver_role"),
            "levels": data.get("levels") or 1,
            "conditions": conditions,
        }


class DelegationForm(forms.Form):
    delegate = forms.TypedChoiceField(label=_("Delegate"), coerce=int)
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, users: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegate"].choices = [("", "—"), *users]  # type: ignore[attr-defined]
