"""The deal state machine: the one place that decides whether a deal may move to a stage.

The web board, the API, imports and automation all call `check_move` (through
`crm.deals.services.deal_move`), so a move refused on one channel is refused on every channel
with the same list of what is missing. A move is decided in this order:

1. hard refusals, which nobody can override: a closed deal, an unknown or the same stage, a
   move missing from the pipeline's transition table, a won/lost move without its reason;
2. the target stage's entry requirements (SOP), moving forward only: required deal fields,
   evidence proven by real records, ticked checklist items. A manager may override these
   when the stage allows it, with a reason that is kept in the stage history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.activities.models import Activity, ActivityKind
from crm.core.actors import Actor
from crm.customers.models import DealRole
from crm.deals.errors import Missing
from crm.deals.models import ChecklistTick, Deal, DealContact, Stage, StageKind, StageTransition
from crm.identity.rights import can_manage_org, user_of


@dataclass
class MoveCheck:
    """The answer for one deal and one target stage."""

    to_stage: Stage
    refusals: list[Missing] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    may_override: bool = False

    @property
    def allowed(self) -> bool:
        return not self.refusals and not self.missing


@dataclass(frozen=True)
class Rule:
    label: str | Promise
    holds: Callable[[Deal], bool]


def _has_decision_maker(deal: Deal) -> bool:
    return DealContact.objects.filter(deal=deal, role=DealRole.DECISION_MAKER).exists()


# Deal fields a stage may require; the key is what administrators pick.
FIELD_RULES: dict[str, Rule] = {
    "amount": Rule(gettext_lazy("Amount"), lambda deal: deal.amount is not None and deal.amount > 0),
    "budget": Rule(gettext_lazy("Customer budget"), lambda deal: deal.budget is not None),
    "expected_close_on": Rule(gettext_lazy("Expected close date"), lambda deal: deal.expected_close_on is not None),
    "decision_maker": Rule(gettext_lazy("Decision maker contact"), _has_decision_maker),
    "contacts": Rule(gettext_lazy("At least one contact"), lambda deal: DealContact.objects.filter(deal=deal).exists()),
}


def _decision_maker_meeting(deal: Deal) -> bool:
    """A meeting or visit with a decision maker since the deal entered its current stage."""
    decision_makers = DealContact.objects.filter(deal=deal, role=DealRole.DECISION_MAKER).values("contact_id")
    return (
        Activity.objects.filter(
            customer_id=deal.customer_id,
            kind__in=[ActivityKind.MEETING, ActivityKind.VISIT],
            occurred_at__gte=deal.stage_entered_at,
        )
        .filter(Q(contact__deal_role=DealRole.DECISION_MAKER) | Q(contact_id__in=decision_makers))
        .exists()
    )


def _follow_up_since_stage_entered(deal: Deal) -> bool:
    return Activity.objects.filter(customer_id=deal.customer_id, occurred_at__gte=deal.stage_entered_at).exists()


def _quote_sent(deal: Deal) -> bool:
    # Quotes live in an app above deals; it plugs its answer in with register_evidence at start-up.
    # Until it does, this evidence cannot be shown.
    return False


# Evidence a stage may require, each proven by records in the database, never by a tick.
EVIDENCE_RULES: dict[str, Rule] = {
    "decision_maker_meeting": Rule(
        gettext_lazy("A meeting or visit with a decision maker since the deal entered its current stage"),
        _decision_maker_meeting,
    ),
    "follow_up": Rule(
        gettext_lazy("A follow-up with the customer since the deal entered its current stage"),
        _follow_up_since_stage_entered,
    ),
    "quote_sent": Rule(gettext_lazy("A quote sent to the customer"), _quote_sent),
}


def register_evidence(code: str, holds: Callable[[Deal], bool]) -> None:
    """Let an app above deals prove one of the evidence kinds (e.g. quotes proves "quote_sent").

    Call it from that app's `AppConfig.ready()`: apps may not be imported downwards, so the app
    that owns the records hands the rule its check instead.
    """
    rule = EVIDENCE_RULES.get(code)
    if rule is None:
        raise KeyError(code)
    EVIDENCE_RULES[code] = Rule(rule.label, holds)


def may_override(actor: Actor) -> bool:
    """Team managers and administrators may push a deal past unmet requirements."""
    if actor.is_system:
        return True
    user = user_of(actor)
    if user is None or not user.is_active:
        return False
    return bool(user.is_team_manager) or can_manage_org(actor)


def _is_forward(current: Stage, target: Stage) -> bool:
    return target.kind == StageKind.WON or (target.kind == StageKind.OPEN and target.position > current.position)


def requirements_of(deal: Deal, stage: Stage) -> list[tuple[Missing, bool]]:
    """Every entry requirement of `stage` for `deal`, each with whether it holds."""
    results: list[tuple[Missing, bool]] = []
    for code in stage.required_fields or []:
        rule = FIELD_RULES.get(code)
        if rule is not None:
            message = _("Fill in: %(field)s") % {"field": rule.label}
            results.append((Missing("field", code, message, field=code), rule.holds(deal)))
    for code in stage.required_evidence or []:
        rule = EVIDENCE_RULES.get(code)
        if rule is not None:
            results.append((Missing("evidence", code, str(rule.label)), rule.holds(deal)))
    ticked = set(ChecklistTick.objects.filter(deal=deal).values_list("item_id", flat=True))
    for item in stage.checklist.all():
        message = _("Tick the checklist item: %(item)s") % {"item": item.label}
        results.append((Missing("checklist", f"checklist:{item.pk}", message, field=str(item.pk)), item.pk in ticked))
    return results


def check_move(*, actor: Actor, deal: Deal, to_stage: Stage, has_close_reason: bool = False) -> MoveCheck:
    """Decide whether `deal` may move to `to_stage`; list every refusal and missing item."""
    check = MoveCheck(to_stage=to_stage, may_override=to_stage.allows_override and may_override(actor))
    current = deal.stage
    if current.kind != StageKind.OPEN:
        check.refusals.append(Missing("rule", "deal_closed", _("This deal is closed. Reopen it before moving it.")))
        return check
    if to_stage.pipeline_id != deal.pipeline_id:
        check.refusals.append(Missing("rule", "other_pipeline", _("That stage belongs to another pipeline.")))
        return check
    if to_stage.pk == current.pk:
        check.refusals.append(Missing("rule", "same_stage", _("The deal is already in this stage.")))
        return check
    if not StageTransition.objects.filter(from_stage=current, to_stage=to_stage).exists():
        message = _("Deals cannot move from “%(from)s” to “%(to)s”.") % {"from": current.name, "to": to_stage.name}
        check.refusals.append(Missing("rule", "move_not_allowed", message))
        return check
    if to_stage.kind != StageKind.OPEN and not has_close_reason:
        check.refusals.append(
            Missing("field", "close_reason", _("Choose the reason the deal was won or lost."), field="close_reason")
        )
    if _is_forward(current, to_stage):
        check.missing = [item for item, holds in requirements_of(deal, to_stage) if not holds]
    return check
