"""Ledger tests run on a fixed day so due dates and ageing buckets are stable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _fixed_day() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=True):
        yield
