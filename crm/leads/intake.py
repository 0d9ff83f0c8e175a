"""What happens to every new lead, one or a hundred thousand: entry criteria → score → assignment.

`lead_intake` works on leads that are already saved (so audit entries and notices can point
at them) and writes its decisions back with one parameterised UPDATE run through
`executemany`, a single round trip per batch on both SQLite and PostgreSQL: an import pays
seconds for 100,000 leads, not one ORM save per row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, ngettext_lazy

from crm.audit.models import Verb
from crm.core import clock
from crm.core.actors import Actor
from crm.customers.services import audit_each
from crm.identity.models import User
from crm.leads.assignment import Assigner
from crm.leads.conditions import lead_facts
from crm.leads.criteria import active_criteria, entry_verdict
from crm.leads.models import Lead, LeadStatus
from crm.leads.scoring.scorer import Scorer
from crm.notifications.models import NotificationKind
from crm.notifications.services import Notice, notify

BATCH = 2000
ROUTING_COLUMNS = ("status", "unqualified_reason")
ASSIGNMENT_COLUMNS = ("owner", "team", "assignment_rule", "assignment_reason", "assigned_at")
SCORE_COLUMNS = ("score", "score_reasons", "scored_at")


@dataclass
class IntakeSummary:
    pooled: int = 0
    unqualified: int = 0
    assigned: int = 0
    by_owner: dict[int, list[Lead]] = field(default_factory=lambda: defaultdict(list))


def _preparer(field: Field[Any, Any]) -> Callable[[Any], Any]:
    """How a value goes to the driver: plain for text and numbers, the field's own way otherwise."""
    if field.get_internal_type() in {"CharField", "TextField", "IntegerField", "BigIntegerField", "ForeignKey"}:
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, connection)


def write_columns(leads: Sequence[Lead], columns: Sequence[str]) -> None:
    """UPDATE the given columns of each lead by primary key, in batches, without touching version.

    Only the named columns are written, so SQLite and PostgreSQL leave every other index alone.
    """
    if not leads:
        return
    fields = [cast("Field[Any, Any]", Lead._meta.get_field(name)) for name in columns]
    prepared = [(field.attname, _preparer(field)) for field in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    sql = f"UPDATE {quote(Lead._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(leads), BATCH):
            params = [
                [prepare(getattr(lead, attname)) for attname, prepare in prepared] + [lead.pk]
                for lead in leads[start : start + BATCH]
            ]
            cursor.executemany(sql, params)


def _notify(summary: IntakeSummary) -> None:
    owners = User.objects.in_bulk(list(summary.by_owner))
    for owner_id, leads in summary.by_owner.items():
        owner = owners.get(owner_id)
        if owner is None:
            continue
        if len(leads) == 1 and leads[0].pk is not None:
            lead = leads[0]
            notice = Notice(
                kind=NotificationKind.LEAD_ASSIGNED,
                title=format_lazy(gettext_lazy("New lead for you: {name}"), name=lead.name),
                body=lead.assignment_reason,
                url=reverse("leads:detail", args=[lead.pk]),
                target_type="leads.lead",
                target_id=lead.pk,
            )
        else:
            count = len(leads)
            notice = Notice(
                kind=NotificationKind.LEAD_ASSIGNED,
                title=format_lazy(
                    ngettext_lazy("{count} new lead for you", "{count} new leads for you", count), count=count
                ),
                url=f"{reverse('leads:list')}?owner={owner_id}",
            )
        notify([owner], notice)


class LeadIntake:
    """One intake batch: rules loaded and assignment locked once, then `decide` per lead.

    Create it with `start()` inside a transaction and call `finish()` before that transaction
    ends: the assignment lock taken by `start()` is what keeps concurrent intakes fair.
    """

    def __init__(self, actor: Actor, assigner: Assigner | None, now: dt.datetime) -> None:
        self.actor = actor
        self.now = now
        self.criteria = active_criteria()
        self.scorer = Scorer.load()
        self.assigner = assigner
        self.summary = IntakeSummary()
        self.routed: list[Lead] = []
        self.assigned: list[tuple[Lead, int]] = []  # (lead, owner before)

    @classmethod
    def start(
        cls, *, actor: Actor, assign: bool = True, saved: Sequence[Lead] = (), now: dt.datetime | None = None
    ) -> LeadIntake:
        """`saved`: leads of this batch already in the table, so not counted as anyone's load."""
        return cls(actor, Assigner.lock(saved) if assign else None, now or clock.now())

    def decide(self, lead: Lead) -> None:
        """Route, score and assign one lead in memory (saved or not yet saved)."""
        facts = lead_facts(lead, self.now)
        if lead.status == LeadStatus.NEW and self.criteria:
            reason = entry_verdict(self.criteria, facts)
            if reason is not None:
                lead.status, lead.unqualified_reason = LeadStatus.UNQUALIFIED, reason[:500]
                facts["status"] = lead.status
                self.summary.unqualified += 1
                self.routed.append(lead)
        scored = self.scorer.score(lead, facts)
        lead.score, lead.score_reasons, lead.scored_at = scored.score, scored.reasons, self.now
        if lead.status != LeadStatus.NEW:
            return
        self.summary.pooled += 1
        if self.assigner is None or not self.assigner.rules:
            return
        facts["score"] = Decimal(lead.score)
        decision = self.assigner.choose(facts)
        if decision is None:
            return
        self.assigned.append((lead, lead.owner_id))
        lead.owner_id, lead.team_id = decision.user_id, decision.team_id
        lead.assignment_rule_id, lead.assignment_reason, lead.assigned_at = decision.rule_id, decision.reason, self.now
        self.summary.assigned += 1
        self.summary.by_owner[decision.user_id].append(lead)

    def write(self, leads: Sequence[Lead]) -> None:
        """Store the decisions on leads that were saved before `decide`."""
        write_columns(leads, SCORE_COLUMNS)
        write_columns(self.routed, ROUTING_COLUMNS)
        write_columns([lead for lead, _before in self.assigned], ASSIGNMENT_COLUMNS)

    def finish(self, *, audit: bool) -> IntakeSummary:
        """Keep the rules' turn state, audit the decisions (unless the create entries hold them), notify."""
        if self.assigner is not None:
            self.assigner.save_state()
        if audit:
            entries: list[tuple[Lead, dict[str, Any]]] = [
                (
                    lead,
                    {
                        "status": [LeadStatus.NEW.value, lead.status],
                        "unqualified_reason": ["", lead.unqualified_reason],
                    },
                )
                for lead in self.routed
            ]
            assignments: list[tuple[Lead, dict[str, Any]]] = [
                (
                    lead,
                    {
                        "owner": [before, lead.owner_id],
                        "assignment_rule": [None, lead.assignment_rule_id],
                        "assignment_reason": ["", lead.assignment_reason],
                    },
                )
                for lead, before in self.assigned
            ]
            audit_each(self.actor, Verb.UPDATE, entries)
            audit_each(self.actor, Verb.ASSIGN, assignments)
        _notify(self.summary)
        return self.summary


def lead_intake(
    *, actor: Actor, leads: Sequence[Lead], assign: bool = True, now: dt.datetime | None = None
) -> IntakeSummary:
    """Route, score and (when `assign`) assign freshly saved leads; audited and notified.

    Only leads still `new` are judged by the entry criteria and offered to the assignment
    rules; a lead that fails a criterion becomes `unqualified` with the criterion's reason.
    Call inside or outside a transaction: it opens its own (nested) one.
    """
    if not leads:
        return IntakeSummary()
    with transaction.atomic():
        intake = LeadIntake.start(actor=actor, assign=assign, saved=leads, now=now)
        for lead in leads:
            intake.decide(lead)
        intake.write(leads)
        return intake.finish(audit=True)


def lead_rescore(*, leads: Iterable[Lead], now: dt.datetime | None = None, scorer: Scorer | None = None) -> int:
    """Recompute and store the score of each lead (after an edit, or for decay); returns how many changed."""
    now = now or clock.now()
    scorer = scorer or Scorer.load()
    changed: list[Lead] = []
    for lead in leads:
        scored = scorer.score(lead, lead_facts(lead, now))
        if scored.score != lead.score or scored.reasons != lead.score_reasons:
            changed.append(lead)
        lead.score, lead.score_reasons, lead.scored_at = scored.score, scored.reasons, now
    write_columns(changed, SCORE_COLUMNS)
    return len(changed)


def leads_rescore_all(*, batch: int = BATCH, now: dt.datetime | None = None) -> int:
    """Rescore every open lead in primary-key batches, so decay shows in lists sorted by score."""
    now = now or clock.now()
    scorer = Scorer.load()
    changed, last_id = 0, 0
    columns = ["id", "status", "industry", "province", "city", "channel", "campaign", "title", "company_name"]
    columns += ["annual_revenue", "mobile", "email", "created_at", "updated_at", "score", "score_reasons"]
    while True:
        chunk = list(
            Lead.objects.filter(id__gt=last_id, status__in=[LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED])
            .only(*columns)
            .order_by("id")[:batch]
        )
        if not chunk:
            return changed
        with transaction.atomic():
            changed += lead_rescore(leads=chunk, now=now, scorer=scorer)
        last_id = chunk[-1].pk
