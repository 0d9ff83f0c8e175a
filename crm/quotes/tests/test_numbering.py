"""Two people creating quotes at the same moment get distinct numbers."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection

from conftest import Org, ensure_builtin_roles
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.deals.tests.factories import a_deal
from crm.identity.models import User
from crm.quotes.models import Quote, QuoteNumberSequence
from crm.quotes.services import quote_create
from crm.quotes.tests.conftest import ensure_discount_limits


@pytest.mark.django_db(transaction=True)
def test_simultaneous_quotes_get_distinct_consecutive_numbers(org: Org) -> None:
    ensure_builtin_roles()
    ensure_default_pipeline()
    ensure_discount_limits()
    # given two reps' deals, and no quote yet this year (so both also race to create the year's row)
    deals = [(org.rep_a1, a_deal(org.rep_a1)), (org.rep_a2, a_deal(org.rep_a2))] * 2
    barrier = threading.Barrier(len(deals))
    errors: list[BaseException] = []

    def create(user: User, deal_id: int) -> None:
        try:
            barrier.wait()
            for _attempt in range(500):
                try:
                    quote_create(actor=org.actor(user), deal_id=deal_id)
                    return
                except OperationalError as exc:
                    # The in-memory SQLite test database fails a busy lock at once ("table is locked")
                    # where a file database or PostgreSQL would wait; creating a quote is one
                    # transaction, so trying it again is what waiting does.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
            raise AssertionError("never got the lock")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    # when they all create a quote at once
    threads = [threading.Thread(target=create, args=(user, deal.pk)) for user, deal in deals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then every quote has its own number, with no gap
    assert errors == []
    numbers = sorted(Quote.objects.values_list("number", flat=True))
    year = QuoteNumberSequence.objects.get().year
    assert numbers == [f"Q-{year}-{n:05d}" for n in range(1, len(deals) + 1)]
