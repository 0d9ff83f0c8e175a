"""Web input for the lead settings screens: a small condition builder plus each rule kind's fields.

The forms only collect values; crm.leads.rulebook validates them (conditions included) and
its field errors are mapped back onto these fields by `place_errors`.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.errors import DomainError
from crm.identity.models import Team, User
from crm.leads.conditions import FIELDS, OPERATOR_LABELS, OPERATORS, Condition, parse_conditions
from crm.leads.models import AssignmentStrategy, ScoreKind
from crm.leads.rulebook import ASSIGNMENT, CRITERIA, SCORING

CONDITION_ROWS = 3
FIELD_CHOICES = [("", "—"), *((spec.name, spec.label) for spec in FIELDS.values())]
OPERATOR_CHOICES = [("", "—")] + [
    (op, OPERATOR_LABELS[op]) for op in dict.fromkeys(op for ops in OPERATORS.values() for op in ops)
]


class RuleForm(forms.Form):
    """Common fields: name, up to three ANDed conditions (or JSON for anything richer), enabled."""

    name = forms.CharField(
        label=_("Name"), max_length=100, required=False, help_text=_("Empty: described from the conditions.")
    )
    conditions_json = forms.CharField(
        label=_("Conditions as JSON (advanced)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "font-mono"}),
        help_text=_('Overrides the rows above; allows “any of” groups: [{"any": [{"field": …}, …]}].'),
    )
    is_active = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, forms.Field] = {}
        for row in range(CONDITION_ROWS):
            fields[f"cond_field_{row}"] = forms.ChoiceField(label=_("Field"), choices=FIELD_CHOICES, required=False)
            fields[f"cond_op_{row}"] = forms.ChoiceField(label=_("Operator"), choices=OPERATOR_CHOICES, required=False)
            fields[f"cond_value_{row}"] = forms.CharField(label=_("Value"), max_length=2000, required=False)
        # Condition rows first, after the name.
        self.fields = {"name": self.fields["name"], **fields, **{k: v for k, v in self.fields.items() if k != "name"}}

    def condition_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(self[f"cond_field_{r}"], self[f"cond_op_{r}"], self[f"cond_value_{r}"]) for r in range(CONDITION_ROWS)]

    def conditions(self) -> tuple[Any, str]:
        """The raw conditions for the service, and where they came from ("json" or "rows")."""
        text = self.cleaned_data.get("conditions_json", "").strip()
        if text:
            return text, "json"
        rows = []
        self.row_of: list[int] = []
        for row in range(CONDITION_ROWS):
            field = self.cleaned_data.get(f"cond_field_{row}")
            if field:
                self.row_of.append(row)
                rows.append(
                    {
                        "field": field,
                        "op": self.cleaned_data.get(f"cond_op_{row}"),
                        "value": self.cleaned_data.get(f"cond_value_{row}"),
                    }
                )
        return rows, "rows"

    def values(self) -> dict[str, Any]:
        conditions, _source = self.conditions()
        return {
            "name": self.cleaned_data["name"],
            "conditions": conditions,
            "is_active": self.cleaned_data["is_active"],
        }


class CriterionForm(RuleForm):
    reason = forms.CharField(label=_("Reason shown when not met"), max_length=200, required=False)

    def values(self) -> dict[str, Any]:
        return {**super().values(), "reason": self.cleaned_data["reason"]}


class ScoringRuleForm(RuleForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ScoreKind.choices, initial=ScoreKind.FIT)
    points = forms.CharField(label=_("Points"), max_length=10, help_text=_("Negative points lower the score."))
    half_life_days = forms.CharField(
        label=_("Half-life in days"),
        max_length=10,
        required=False,
        help_text=_("Engagement only: the points halve every this many days since the lead was last touched."),
    )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().values(),
            "kind": data["kind"],
            "points": data["points"],
            "half_life_days": data["half_life_days"],
        }


class AssignmentRuleForm(RuleForm):
    strategy = forms.ChoiceField(label=_("Strategy"), choices=AssignmentStrategy.choices)
    user_id = forms.ChoiceField(label=_("User"), choices=[], required=False)
    team_id = forms.ChoiceField(label=_("Team"), choices=[], required=False)
    members = forms.MultipleChoiceField(
        label=_("Reps taking turns"), choices=[], required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, users: list[User], teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [(str(user.pk), user.full_name or user.username) for user in users]
        self.fields["user_id"].choices = [("", "—"), *people]  # type: ignore[attr-defined]
        self.fields["team_id"].choices = [("", "—"), *((str(team.pk), team.name) for team in teams)]  # type: ignore[attr-defined]
        self.fields["members"].choices = people  # type: ignore[attr-defined]
        self.users = users
        for user in users:
            self.fields[f"weight_{user.pk}"] = forms.CharField(
                label=_("Weight"), max_length=4, required=False, widget=forms.NumberInput(attrs={"min": 1, "max": 100})
            )

    def member_rows(self) -> list[tuple[User, bool, forms.BoundField]]:
        chosen = set(self["members"].value() or [])
        rows = [(user, str(user.pk) in chosen, self[f"weight_{user.pk}"]) for user in self.users]
        # The chosen reps first, so an edit shows who takes part without scrolling.
        return sorted(rows, key=lambda row: not row[1])

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        members = [{"user_id": int(pk), "weight": data.get(f"weight_{pk}") or 1} for pk in data.get("members", [])]
        return {
            **super().values(),
            "strategy": data["strategy"],
            "user_id": data["user_id"],
            "team_id": data["team_id"],
            "members": members,
        }


FORMS: dict[str, type[RuleForm]] = {CRITERIA: CriterionForm, SCORING: ScoringRuleForm, ASSIGNMENT: AssignmentRuleForm}


def initial_of(kind: str, rule: Any) -> dict[str, Any]:
    """Form values of a stored rule: simple conditions fill the rows, anything richer the JSON box."""
    initial: dict[str, Any] = {"name": rule.name, "is_active": rule.is_active}
    conditions = list(rule.conditions or [])
    clauses = parse_conditions(conditions)
    if len(clauses) <= CONDITION_ROWS and all(isinstance(c, Condition) for c in clauses):
        for row, item in enumerate(conditions):
            value = item.get("value", "")
            initial[f"cond_field_{row}"] = item["field"]
            initial[f"cond_op_{row}"] = item["op"]
            initial[f"cond_value_{row}"] = ", ".join(map(str, value)) if isinstance(value, list) else value
    else:
        initial["conditions_json"] = json.dumps(conditions, ensure_ascii=False)
    if kind == CRITERIA:
        initial["reason"] = rule.reason
    elif kind == SCORING:
        initial.update(kind=rule.kind, points=rule.points, half_life_days=rule.half_life_days or "")
    else:
        initial.update(strategy=rule.strategy, user_id=rule.user_id or "", team_id=rule.team_id or "")
        members = list(rule.members.all())
        initial["members"] = [str(member.user_id) for member in members]
        initial.update({f"weight_{member.user_id}": member.weight for member in members})
    return initial


def place_errors(error: DomainError, form: RuleForm) -> None:
    """Show the service's field errors on the form: "conditions.1.value" → the second value box."""
    _conditions, source = form.conditions() if form.is_bound and hasattr(form, "cleaned_data") else ([], "rows")
    placed = False
    for item in error.errors:
        target = item.field
        parts = item.field.split(".")
        if parts[0] == "conditions":
            if source == "json":
                target = "conditions_json"
            elif len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(form.row_of):
                prefix = {"field": "cond_field_", "op": "cond_op_", "value": "cond_value_"}.get(parts[2], "cond_field_")
                target = f"{prefix}{form.row_of[int(parts[1])]}"
            else:
                target = "cond_field_0"
        elif target == "weight":
            target = "members"
        if target in form.fields:
            form.add_error(target, item.message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
