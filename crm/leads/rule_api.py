"""Lead settings API: `/api/v1/lead-rules` — entry criteria, scoring and assignment rules, the model.

Administrators only, like the settings screens. Rule lists are short, admin-curated lists (not
record lists), so they come back whole, in order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from crm.api.schemas import ERRORS
from crm.core.actors import Actor, api_actor
from crm.core.errors import PermissionDenied
from crm.identity.rights import can_manage_org
from crm.leads import rulebook
from crm.leads.models import AssignmentRule, EntryCriterion, ScoringRule

router = Router(tags=["lead settings"])
Kind = Literal["criteria", "scoring", "assignment"]


def _admin(request: HttpRequest) -> Actor:
    actor = api_actor(request.user)
    if not can_manage_org(actor):
        raise PermissionDenied(_("Only administrators may see or change lead settings."))
    return actor


class MemberIn(Schema):
    user_id: int
    weight: int = 1


class RuleIn(Schema):
    """One schema for all three kinds; the fields of other kinds are ignored."""

    name: str = ""
    conditions: list[dict[str, Any]] = []
    is_active: bool = True
    reason: str = ""
    kind: str = "fit"
    points: int | None = None
    half_life_days: int | None = None
    strategy: str = ""
    user_id: int | None = None
    team_id: int | None = None
    members: list[MemberIn] = []


class MemberOut(Schema):
    user_id: int
    weight: int


class RuleOut(Schema):
    id: int
    position: int
    name: str
    conditions: list[dict[str, Any]]
    is_active: bool
    updated_at: dt.datetime
    reason: str | None = None
    kind: str | None = None
    points: int | None = None
    half_life_days: int | None = None
    strategy: str | None = None
    user_id: int | None = None
    team_id: int | None = None
    members: list[MemberOut] | None = None


class MoveIn(Schema):
    up: bool


class ModelOut(Schema):
    trained_at: dt.datetime
    feature_names: list[str]
    coefficients: list[float]
    intercept: float
    metrics: dict[str, Any]


def _out(rule: EntryCriterion | ScoringRule | AssignmentRule) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: getattr(rule, key) for key in ("id", "position", "name", "conditions", "is_active", "updated_at")
    }
    if isinstance(rule, EntryCriterion):
        data["reason"] = rule.reason
    elif isinstance(rule, ScoringRule):
        data.update(kind=rule.kind, points=rule.points, half_life_days=rule.half_life_days)
    else:
        data.update(strategy=rule.strategy, user_id=rule.user_id, team_id=rule.team_id)
        data["members"] = [{"user_id": m.user_id, "weight": m.weight} for m in rule.members.all()]
    return data


def _values(payload: RuleIn) -> dict[str, Any]:
    values = payload.dict()
    values["members"] = [member.dict() for member in payload.members]
    return values


@router.get("/model", response={200: ModelOut | None, **ERRORS}, operation_id="get_scoring_model")
def get_scoring_model(request: HttpRequest) -> Any:
    """The learned scoring model in use (coefficients and held-out metrics), or null while rules score."""
    _admin(request)
    return rulebook.scoring_model_current()


@router.get("/{kind}", response={200: list[RuleOut], **ERRORS}, operation_id="list_lead_rules")
def list_lead_rules(request: HttpRequest, kind: Kind) -> list[dict[str, Any]]:
    _admin(request)
    return [_out(rule) for rule in rulebook.rule_list(kind)]


@router.post("/{kind}", response={201: RuleOut, **ERRORS}, operation_id="create_lead_rule")
def create_lead_rule(request: HttpRequest, kind: Kind, payload: RuleIn) -> tuple[int, dict[str, Any]]:
    """Appended last. Conditions use the documented format; bad parts come back as 422 field errors."""
    rule = rulebook.rule_save(actor=_admin(request), kind=kind, values=_values(payload))
    return 201, _out(rulebook.rule_get(kind, rule.pk))


@router.get("/{kind}/{rule_id}", response={200: RuleOut, **ERRORS}, operation_id="get_lead_rule")
def get_lead_rule(request: HttpRequest, kind: Kind, rule_id: int) -> dict[str, Any]:
    _admin(request)
    return _out(rulebook.rule_get(kind, rule_id))


@router.put("/{kind}/{rule_id}", response={200: RuleOut, **ERRORS}, operation_id="replace_lead_rule")
def replace_lead_rule(request: HttpRequest, kind: Kind, rule_id: int, payload: RuleIn) -> dict[str, Any]:
    rulebook.rule_save(actor=_admin(request), kind=kind, values=_values(payload), rule_id=rule_id)
    return _out(rulebook.rule_get(kind, rule_id))


@router.post("/{kind}/{rule_id}/move", response={200: list[RuleOut], **ERRORS}, operation_id="move_lead_rule")
def move_lead_rule(request: HttpRequest, kind: Kind, rule_id: int, payload: MoveIn) -> list[dict[str, Any]]:
    """Swap with the neighbour above (`up`) or below; returns the list in its new order."""
    rulebook.rule_move(actor=_admin(request), kind=kind, rule_id=rule_id, up=payload.up)
    return [_out(rule) for rule in rulebook.rule_list(kind)]


@router.delete("/{kind}/{rule_id}", response={204: None, **ERRORS}, operation_id="delete_lead_rule")
def delete_lead_rule(request: HttpRequest, kind: Kind, rule_id: int) -> tuple[int, None]:
    rulebook.rule_delete(actor=_admin(request), kind=kind, rule_id=rule_id)
    return 204, None
