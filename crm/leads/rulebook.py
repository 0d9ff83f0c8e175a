"""The lead settings administrators keep: entry criteria, scoring rules, assignment rules, capacities.

Reads and writes for the "Lead settings" screens and API. Every write needs the org-admin right,
validates conditions with crm.leads.conditions, and is audited in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, snapshot
from crm.core.actors import Actor
from crm.core.errors import FieldError, NotFound, ValidationFailed
from crm.identity.models import Team, User
from crm.identity.rights import require_org_admin
from crm.leads.assignment import open_lead_counts
from crm.leads.conditions import conditions_to_json, describe_all, parse_conditions
from crm.leads.models import (
    AssignmentMember,
    AssignmentRule,
    AssignmentStrategy,
    EntryCriterion,
    RepCapacity,
    ScoreKind,
    ScoringModel,
    ScoringRule,
)
from crm.leads.scoring.training import min_closed, min_each_class

CRITERIA, SCORING, ASSIGNMENT = "criteria", "scoring", "assignment"
RuleModel = type[EntryCriterion] | type[ScoringRule] | type[AssignmentRule]
RULE_MODELS: dict[str, RuleModel] = {
    CRITERIA: EntryCriterion,
    SCORING: ScoringRule,
    ASSIGNMENT: AssignmentRule,
}
COMMON_FIELDS = ["name", "conditions", "is_active", "position"]
KIND_FIELDS = {
    CRITERIA: ["reason"],
    SCORING: ["kind", "points", "half_life_days"],
    ASSIGNMENT: ["strategy", "user", "team"],
}
MAX_POINTS = 1000
MAX_HALF_LIFE = 3650
MAX_WEIGHT = 100
MAX_CAPACITY = 100_000
MEMBER_STRATEGIES = {AssignmentStrategy.ROUND_ROBIN, AssignmentStrategy.LEAST_LOADED, AssignmentStrategy.WEIGHTED}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _model(kind: str) -> RuleModel:
    if kind not in RULE_MODELS:
        raise NotFound(_("This kind of rule does not exist."))
    return RULE_MODELS[kind]


# Reads -----------------------------------------------------------------------------------------


def rule_list(kind: str) -> QuerySet[Any]:
    if kind == ASSIGNMENT:
        return (
            AssignmentRule.objects.select_related("user", "team")
            .prefetch_related("members__user")
            .order_by("position", "id")
        )
    rules: QuerySet[Any] = _model(kind).objects.order_by("position", "id")
    return rules


def rule_get(kind: str, rule_id: int) -> Any:
    rule = rule_list(kind).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("This rule does not exist."))
    return rule


@dataclass(frozen=True)
class RepLoad:
    user: User
    open_leads: int
    max_open_leads: int | None


def rep_capacities() -> list[RepLoad]:
    """Every active user with their open leads and cap, in three queries."""
    users = list(User.objects.filter(is_active=True).select_related("team").order_by("team__name", "username"))
    caps = dict(RepCapacity.objects.values_list("user_id", "max_open_leads"))
    counts = open_lead_counts(user.pk for user in users)
    return [RepLoad(user, counts.get(user.pk, 0), caps.get(user.pk)) for user in users]


def scoring_model_current() -> ScoringModel | None:
    return ScoringModel.objects.filter(is_active=True).order_by("-trained_at", "-id").first()


def model_min_closed() -> int:
    return min_closed()


def model_min_each() -> int:
    return min_each_class()


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("username")


def teams() -> QuerySet[Team]:
    return Team.objects.filter(is_active=True).order_by("path")


# Writes ----------------------------------------------------------------------------------------


def _int(values: dict[str, Any], field: str, *, low: int, high: int, required: bool) -> int | None:
    raw = values.get(field)
    if raw in (None, ""):
        if required:
            raise _invalid(field, _("This field is required."))
        return None
    try:
        number = int(str(raw).strip())
    except ValueError:
        raise _invalid(field, _("Enter a whole number.")) from None
    if not low <= number <= high:
        raise _invalid(field, _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high})
    return number


def _active_user(field: str, user_id: Any) -> User:
    try:
        user = User.objects.filter(pk=int(user_id), is_active=True).first()
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise _invalid(field, _("Choose an active user."))
    return user


def _members(values: dict[str, Any]) -> list[tuple[User, int]]:
    """[(user, weight)] from `members`: a list of {"user_id", "weight"} or of user ids."""
    chosen: list[tuple[User, int]] = []
    seen: set[int] = set()
    for item in values.get("members") or []:
        user_id, weight = (item.get("user_id"), item.get("weight", 1)) if isinstance(item, dict) else (item, 1)
        user = _active_user("members", user_id)
        if user.pk in seen:
            continue
        seen.add(user.pk)
        number = _int({"weight": weight}, "weight", low=1, high=MAX_WEIGHT, required=True)
        chosen.append((user, number or 1))
    return chosen


def _apply(kind: str, rule: Any, values: dict[str, Any]) -> list[tuple[User, int]] | None:
    """Validate `values` onto `rule`; returns the members of an assignment rule (None otherwise)."""
    clauses = parse_conditions(values.get("conditions"), allow_empty=kind != CRITERIA)
    rule.conditions = conditions_to_json(clauses)
    name = str(values.get("name") or "").strip() or describe_all(clauses)
    rule.name = name[:100]
    rule.is_active = bool(values.get("is_active", True))
    if kind == CRITERIA:
        reason = str(values.get("reason") or "").strip()
        if len(reason) > 200:
            raise _invalid("reason", _("Keep the reason under 200 characters."))
        rule.reason = reason
        return None
    if kind == SCORING:
        score_kind = str(values.get("kind") or ScoreKind.FIT)
        if score_kind not in ScoreKind.values:
            raise _invalid("kind", _("Choose fit or engagement."))
        points = _int(values, "points", low=-MAX_POINTS, high=MAX_POINTS, required=True)
        if not points:
            raise _invalid("points", _("A rule worth zero points changes nothing; give it points."))
        rule.kind, rule.points = score_kind, points
        rule.half_life_days = _int(values, "half_life_days", low=1, high=MAX_HALF_LIFE, required=False)
        if score_kind == ScoreKind.FIT:
            rule.half_life_days = None
        return None
    strategy = str(values.get("strategy") or "")
    if strategy not in AssignmentStrategy.values:
        raise _invalid("strategy", _("Choose how the rule picks a rep."))
    rule.strategy = strategy
    rule.user, rule.team = None, None
    members: list[tuple[User, int]] = []
    if strategy == AssignmentStrategy.USER:
        if values.get("user_id") in (None, ""):
            raise _invalid("user_id", _("Choose the user who gets these leads."))
        rule.user = _active_user("user_id", values["user_id"])
    elif strategy == AssignmentStrategy.TEAM:
        team = Team.objects.filter(pk=_int(values, "team_id", low=1, high=2**62, required=True) or 0).first()
        if team is None:
            raise _invalid("team_id", _("Choose a team."))
        rule.team = team
    else:
        members = _members(values)
        if not members:
            raise _invalid("members", _("Choose at least one rep."))
    return members


def _rule_snapshot(kind: str, rule: Any, members: Sequence[tuple[User, int]] | None = None) -> dict[str, Any]:
    data = snapshot(rule, [name for name in COMMON_FIELDS + KIND_FIELDS[kind] if name != "conditions"])
    # The audit diff compares plain values; a list of objects is compared as its JSON text.
    data["conditions"] = json.dumps(rule.conditions, ensure_ascii=False, sort_keys=True)
    if members is not None:
        data["members"] = [f"{user.pk}:{weight}" for user, weight in members]
    return data


def _current_members(rule: AssignmentRule) -> list[tuple[User, int]]:
    return [(member.user, member.weight) for member in rule.members.select_related("user").order_by("id")]


def rule_save(*, actor: Actor, kind: str, values: dict[str, Any], rule_id: int | None = None) -> Any:
    """Create (rule_id None, appended last) or change a rule; audited."""
    require_org_admin(actor)
    model = _model(kind)
    with transaction.atomic():
        if rule_id is None:
            rule: Any = model()
            last = model.objects.order_by("-position").values_list("position", flat=True).first()
            rule.position = 0 if last is None else last + 1
            before: dict[str, Any] = {}
        else:
            rule = model.objects.select_for_update().filter(pk=rule_id).first()
            if rule is None:
                raise NotFound(_("This rule does not exist."))
            before = _rule_snapshot(kind, rule, _current_members(rule) if kind == ASSIGNMENT else None)
        members = _apply(kind, rule, values)
        rule.updated_at = timezone.now()
        rule.save()
        if kind == ASSIGNMENT and members is not None:
            rule.members.all().delete()
            AssignmentMember.objects.bulk_create(
                [AssignmentMember(rule=rule, user=user, weight=weight) for user, weight in members]
            )
            # New members start a fresh rotation rather than inheriting stale weight credit.
            AssignmentRule.objects.filter(pk=rule.pk).update(weight_state={})
        after = _rule_snapshot(kind, rule, members if kind == ASSIGNMENT else None)
        audit_record(
            actor=actor, verb=Verb.CREATE if rule_id is None else Verb.UPDATE, target=rule, changes=diff(before, after)
        )
    return rule


def rule_delete(*, actor: Actor, kind: str, rule_id: int) -> None:
    require_org_admin(actor)
    with transaction.atomic():
        rule = _model(kind).objects.filter(pk=rule_id).first()
        if rule is None:
            raise NotFound(_("This rule does not exist."))
        audit_record(actor=actor, verb=Verb.DELETE, target=rule, changes=diff(_rule_snapshot(kind, rule), {}))
        rule.delete()


def rule_set_active(*, actor: Actor, kind: str, rule_id: int, active: bool) -> Any:
    require_org_admin(actor)
    with transaction.atomic():
        rule = _model(kind).objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound(_("This rule does not exist."))
        if rule.is_active != active:
            rule.is_active = active
            rule.save(update_fields=["is_active"])
            audit_record(actor=actor, verb=Verb.UPDATE, target=rule, changes={"is_active": [not active, active]})
    return rule


def rule_move(*, actor: Actor, kind: str, rule_id: int, up: bool) -> None:
    """Swap a rule with its neighbour; positions are renumbered 0..n so gaps and ties never confuse."""
    require_org_admin(actor)
    model = _model(kind)
    with transaction.atomic():
        rules = list(model.objects.select_for_update().order_by("position", "id"))
        index = next((i for i, rule in enumerate(rules) if rule.pk == rule_id), None)
        if index is None:
            raise NotFound(_("This rule does not exist."))
        other = index - 1 if up else index + 1
        target = other if 0 <= other < len(rules) else index
        rules[index], rules[target] = rules[target], rules[index]
        for position, rule in enumerate(rules):
            if rule.position != position:
                model.objects.filter(pk=rule.pk).update(position=position)
        audit_record(actor=actor, verb=Verb.UPDATE, target=rules[target], changes={"position": [index, target]})


def capacity_set(*, actor: Actor, user_id: int, max_open_leads: Any) -> RepCapacity | None:
    """Set (or with an empty value, lift) a rep's cap on open leads; audited on the user."""
    require_org_admin(actor)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("This user does not exist."))
    cap = _int({"max_open_leads": max_open_leads}, "max_open_leads", low=0, high=MAX_CAPACITY, required=False)
    with transaction.atomic():
        row = RepCapacity.objects.filter(user=user).first()
        before = row.max_open_leads if row is not None else None
        if cap is None:
            RepCapacity.objects.filter(user=user).delete()
            row = None
        else:
            row, _created = RepCapacity.objects.update_or_create(user=user, defaults={"max_open_leads": cap})
        if before != cap:
            audit_record(actor=actor, verb=Verb.UPDATE, target=user, changes={"max_open_leads": [before, cap]})
    return row
