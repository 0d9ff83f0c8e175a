"""Two people moving the same deal at the same moment: one wins, the other gets a Conflict."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection

from conftest import Org
from crm.core.errors import Conflict
from crm.deals.models import CloseReason, Deal, StageChange
from crm.deals.services import deal_move
from crm.deals.tests.factories import a_deal, stage_named


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_moves_one_wins_one_conflicts(org: Org) -> None:
    # given a deal both the owner and the manager have open at version 1
    deal = a_deal(org.rep_a1)
    reason = CloseReason.objects.get(kind="lost", name="价格过高")
    lost = stage_named("输单").pk
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def move(actor_user: object) -> None:
        try:
            barrier.wait()
            for _attempt in range(500):
                try:
                    deal_move(
                        actor=org.actor(actor_user),  # type: ignore[arg-type]
                        deal_id=deal.pk,
                        version=deal.version,
                        stage_id=lost,
                        close_reason_id=reason.pk,
                    )
                    outcomes.append("moved")
                    return
                except OperationalError as exc:
                    # The in-memory SQLite test database fails a busy lock at once ("table is locked")
                    # where a file database or PostgreSQL would wait; the move is one transaction, so
                    # trying it again is what waiting does.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except Conflict as exc:
            outcomes.append(f"conflict: {exc.message}")
        finally:
            connection.close()

    # when both move it at once
    threads = [threading.Thread(target=move, args=(user,)) for user in (org.rep_a1, org.east_a_manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one move happened and the history holds it once
    assert sorted(outcome.split(":")[0] for outcome in outcomes) == ["conflict", "moved"]
    assert "“输单”" in next(o for o in outcomes if o.startswith("conflict"))
    assert Deal.objects.get(pk=deal.pk).version == deal.version + 1
    assert list(StageChange.objects.filter(deal=deal).values_list("to_stage__name", flat=True).order_by("id")) == [
        "初步沟通",
        "输单",
    ]
