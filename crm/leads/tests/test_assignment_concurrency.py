"""Many leads assigned at the same time: each to exactly one rep, and every rep's turn kept."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connection

from conftest import Org, ensure_builtin_roles, make_team, make_user
from crm.audit.models import AuditEntry
from crm.core.actors import system_actor
from crm.identity.models import BuiltinRole, TeamKind
from crm.leads.intake import lead_intake
from crm.leads.models import AssignmentRule, Lead
from crm.leads.rulebook import ASSIGNMENT, rule_save
from crm.notifications.models import Notification

LEADS = 60
WORKERS = 6


def _assign_one(lead_id: int) -> int:
    try:
        for _attempt in range(500):
            try:
                lead = Lead.objects.get(pk=lead_id)
                lead_intake(actor=system_actor("web form"), leads=[lead])
                return lead.owner_id
            except OperationalError as exc:
                # The SQLite test database is in memory with a shared cache, where a busy lock fails
                # at once ("table is locked") instead of waiting out busy_timeout as a file database
                # does. The whole intake is one transaction, so trying it again is what waiting does.
                if connection.vendor != "sqlite" or "locked" not in str(exc):
                    raise
                time.sleep(0.01)
        raise AssertionError("never got the lock")
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_parallel_round_robin_is_fair_and_exclusive() -> None:
    # given three reps in a round-robin rule and 60 unassigned leads
    ensure_builtin_roles()
    team = make_team("线索中心", None, TeamKind.COMPANY)
    admin = make_user("admin_c", BuiltinRole.ADMINISTRATOR, team)
    reps = [make_user(f"rep_c{i}", BuiltinRole.SALES_REP, team) for i in range(3)]
    rule_save(
        actor=Org.actor(None, admin),  # type: ignore[arg-type]
        kind=ASSIGNMENT,
        values={"name": "三人轮询", "strategy": "round_robin", "members": [rep.pk for rep in reps]},
    )
    ids = [Lead.objects.create(name=f"并发线索{i}", owner=admin).pk for i in range(LEADS)]
    # when they are assigned from six threads at once
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        owners = list(pool.map(_assign_one, ids))
    # then every lead went to exactly one rep, 20 each, as recorded on the leads
    assert Counter(owners) == {rep.pk: LEADS // 3 for rep in reps}
    stored = dict(Lead.objects.values_list("pk", "owner_id"))
    assert stored == dict(zip(ids, owners, strict=True))
    # and each assignment was audited and notified once
    audited = Counter(
        AuditEntry.objects.filter(target_type="leads.lead", verb="assign").values_list("target_id", flat=True)
    )
    assert audited == dict.fromkeys(ids, 1)
    assert Counter(Notification.objects.values_list("recipient_id", flat=True)) == {rep.pk: LEADS // 3 for rep in reps}
    # and the pointer stands where the last turn left it
    assert AssignmentRule.objects.get().last_user_id in {rep.pk for rep in reps}
