"""Assignment rules: who gets a new lead from the pool, decided under a lock so turns are never lost.

Every batch of decisions (one lead from a web form, or a whole import) runs inside one
transaction that first locks all enabled rules with SELECT ... FOR UPDATE, in rule order.
Concurrent intakes therefore queue behind each other: each reads the round-robin pointers,
weighted-round-robin state and open-lead counts the previous one committed, so no lead gets
two owners, no rep's turn is skipped and capacity caps hold. On SQLite the same order comes from
the database write lock, taken at BEGIN (the project opens SQLite transactions IMMEDIATE).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from crm.identity.models import User
from crm.leads.conditions import Clause, all_hold, parse_conditions
from crm.leads.models import AssignmentMember, AssignmentRule, AssignmentStrategy, Lead, LeadStatus, RepCapacity

OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)


@dataclass(frozen=True)
class Decision:
    user_id: int
    team_id: int | None
    rule_id: int
    reason: str


@dataclass
class _Rule:
    row: AssignmentRule
    clauses: tuple[Clause, ...]
    members: list[tuple[int, int]] = field(default_factory=list)  # (user_id, weight), in turn order
    dirty: bool = False


def open_lead_counts(user_ids: Iterable[int]) -> dict[int, int]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = (
        Lead.objects.filter(owner_id__in=ids, status__in=OPEN_STATUSES)
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    return dict(rows)


class Assigner:
    """Chooses owners for one batch; build it inside a transaction with `Assigner.lock()`."""

    def __init__(self, rules: list[_Rule], users: Mapping[int, User], caps: Mapping[int, int], load: Counter[int]):
        self.rules = rules
        self.users = users
        self.caps = caps
        self.load = load
        # Translated once per batch rather than once per lead.
        self._reason_template = _("Rule “%(rule)s” (%(strategy)s) chose %(user)s%(detail)s")
        self._strategy_labels = {value: str(label) for value, label in AssignmentStrategy.choices}
        self._load_template = _(", who had %(count)d open leads")

    @classmethod
    def lock(cls, batch: Sequence[Lead] = ()) -> Assigner:
        """Lock the enabled rules and read everything a decision needs, once for the batch.

        `batch` are leads already saved but not yet assigned: they are not counted as load.
        """
        rows = list(AssignmentRule.objects.select_for_update().filter(is_active=True).order_by("position", "id"))
        rules = [_Rule(row, tuple(parse_conditions(row.conditions))) for row in rows]
        if not rules:
            return cls([], {}, {}, Counter())
        by_id = {rule.row.pk: rule for rule in rules}
        for member in AssignmentMember.objects.filter(rule_id__in=by_id).order_by("id"):
            by_id[member.rule_id].members.append((member.user_id, member.weight))
        team_ids = {
            rule.row.team_id
            for rule in rules
            if rule.row.strategy == AssignmentStrategy.TEAM and rule.row.team_id is not None
        }
        team_members: dict[int, list[int]] = defaultdict(list)
        for user_id, team_id in (
            User.objects.filter(team_id__in=team_ids, is_active=True).order_by("id").values_list("id", "team_id")
        ):
            team_members[team_id].append(user_id)
        for rule in rules:
            if rule.row.strategy == AssignmentStrategy.TEAM and rule.row.team_id is not None:
                rule.members = [(user_id, 1) for user_id in team_members[rule.row.team_id]]
            elif rule.row.strategy == AssignmentStrategy.USER and rule.row.user_id is not None:
                rule.members = [(rule.row.user_id, 1)]
        candidate_ids = {user_id for rule in rules for user_id, _weight in rule.members}
        users = {user.pk: user for user in User.objects.filter(pk__in=candidate_ids, is_active=True)}
        caps = dict(RepCapacity.objects.filter(user_id__in=candidate_ids).values_list("user_id", "max_open_leads"))
        load = Counter(open_lead_counts(candidate_ids))
        for lead in batch:
            if lead.owner_id in load and lead.status in OPEN_STATUSES:
                load[lead.owner_id] -= 1
        return cls(rules, users, caps, load)

    def _available(self, user_id: int) -> bool:
        if user_id not in self.users:
            return False
        cap = self.caps.get(user_id)
        return cap is None or self.load[user_id] < cap

    def choose(self, facts: Mapping[str, Any]) -> Decision | None:
        """The first matching rule that has an available rep decides; None leaves the lead as it is."""
        for rule in self.rules:
            if not all_hold(rule.clauses, facts):
                continue
            picked = self._pick(rule)
            if picked is None:
                continue
            user_id, detail = picked
            self.load[user_id] += 1
            user = self.users[user_id]
            reason = self._reason_template % {
                "rule": rule.row.name,
                "strategy": self._strategy_labels[rule.row.strategy],
                "user": user.full_name or user.username,
                "detail": detail,
            }
            return Decision(user_id, user.team_id, rule.row.pk, reason[:300])
        return None

    def _pick(self, rule: _Rule) -> tuple[int, str] | None:
        available = [(user_id, weight) for user_id, weight in rule.members if self._available(user_id)]
        if not available:
            return None
        strategy = rule.row.strategy
        if strategy == AssignmentStrategy.LEAST_LOADED:
            user_id = min(available, key=lambda member: self.load[member[0]])[0]
            return user_id, self._load_template % {"count": self.load[user_id]}
        if strategy == AssignmentStrategy.WEIGHTED:
            return self._weighted(rule, available), ""
        if strategy == AssignmentStrategy.USER:
            return available[0][0], ""
        return self._next_in_turn(rule, available), ""

    def _next_in_turn(self, rule: _Rule, available: list[tuple[int, int]]) -> int:
        """The first available member after the last one served, wrapping around."""
        order = [user_id for user_id, _weight in rule.members]
        start = order.index(rule.row.last_user_id) + 1 if rule.row.last_user_id in order else 0
        free = {user_id for user_id, _weight in available}
        for offset in range(len(order)):
            user_id = order[(start + offset) % len(order)]
            if user_id in free:
                rule.row.last_user_id, rule.dirty = user_id, True
                return user_id
        raise AssertionError("available members are members")  # pragma: no cover

    def _weighted(self, rule: _Rule, available: list[tuple[int, int]]) -> int:
        """Smooth weighted round robin: over any window each rep's share follows the weights."""
        state: dict[str, Any] = rule.row.weight_state if isinstance(rule.row.weight_state, dict) else {}
        total = 0
        best = available[0][0]
        for user_id, weight in available:
            current = int(state.get(str(user_id), 0)) + weight
            state[str(user_id)] = current
            total += weight
            if current > int(state.get(str(best), current)):
                best = user_id
        state[str(best)] = int(state[str(best)]) - total
        rule.row.weight_state, rule.dirty = state, True
        return best

    def save_state(self) -> None:
        for rule in self.rules:
            if rule.dirty:
                AssignmentRule.objects.filter(pk=rule.row.pk).update(
                    last_user_id=rule.row.last_user_id, weight_state=rule.row.weight_state
                )
