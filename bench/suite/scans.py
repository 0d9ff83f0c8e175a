"""Whole-table jobs: the hourly stalled-deal and neglected-customer checks, and the duplicate scan.

Each check runs twice in-process, as the scheduler's task calls it: the first run flags what the seeded
data holds and tells the owners, the second is the idempotent next hour that finds (almost) nothing new.
The SQL time inside each run is recorded as the database's own share. Both runs happen in a transaction
that is rolled back, so the measured database keeps its seeded state. Target: each run under a minute.

The duplicate scan (an administrator's "find duplicates" over a whole table) reads only; it is reported
without a target, for customers and for contacts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.suite import targets
from bench.suite.db_time import Recorder
from bench.suite.measuring import stopwatch
from bench.suite.results import MET, MISSED, REPORTED, WorkloadResult


class _RollBack(Exception):
    """Raised at the end of the measured block so its transaction is rolled back."""


def _check(key: str, title: str, check: Callable[[], Any]) -> WorkloadResult:
    from django.db import connection, transaction

    result = WorkloadResult(key=key, kind="run", title=title, user="system", target=targets.SCAN.describe())
    runs: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            for label in ("first run", "second run"):
                recorder = Recorder()
                with stopwatch() as watch, connection.execute_wrapper(recorder):
                    summary = check()
                runs.append({
                    "run": label, "seconds": round(watch.seconds, 2), "cpu_seconds": round(watch.cpu_seconds, 2),
                    "sql_seconds": round(recorder.seconds, 2), "statements": len(recorder.statements),
                    "summary": str(summary),
                })  # fmt: skip
            raise _RollBack
    except _RollBack:
        pass
    result.figures = {"runs": runs}
    first, second = runs
    result.summary = f"first run {first['seconds']:.2f} s, second run {second['seconds']:.2f} s"
    result.database_summary = (
        f"SQL {first['sql_seconds']:.2f} s and {second['sql_seconds']:.2f} s "
        f"({first['statements']} and {second['statements']} statements)"
    )
    slowest = max(run["seconds"] for run in runs)
    result.status = MET if slowest < (targets.SCAN.seconds or 0) else MISSED
    result.note = f"first run: {first['summary']}; second run: {second['summary']}"
    return result


def run(keys: set[str]) -> list[WorkloadResult]:
    """The checks whose keys are given (scan_stalled_deals, scan_neglected_customers)."""
    from crm.core.actors import system_actor
    from crm.customers.neglect import customers_flag_neglected
    from crm.deals.stalling import deals_flag_stalled

    actor = system_actor("bench")
    checks: list[tuple[str, str, Callable[[], Any]]] = [
        ("scan_stalled_deals", "Stalled-deal check (hourly job)", lambda: deals_flag_stalled(actor=actor)),
        (
            "scan_neglected_customers",
            "Neglected-customer check (hourly job)",
            lambda: customers_flag_neglected(actor=actor),
        ),
    ]
    return [_check(key, title, check) for key, title, check in checks if key in keys]


def duplicate_pairs() -> WorkloadResult:
    from django.db import connection

    from crm.customers.duplicates.scan import scan_pairs

    result = WorkloadResult(
        key="scan_duplicate_pairs", kind="run", title="Duplicate scan of every customer and every contact",
        user="system", target="-", status=REPORTED,
    )  # fmt: skip
    runs: list[dict[str, Any]] = []
    for object_type in ("customers", "contacts"):
        recorder = Recorder()
        with stopwatch() as watch, connection.execute_wrapper(recorder):
            pairs = sum(1 for _pair in scan_pairs(object_type=object_type))
        runs.append({
            "object_type": object_type, "seconds": round(watch.seconds, 2), "cpu_seconds": round(watch.cpu_seconds, 2),
            "sql_seconds": round(recorder.seconds, 2), "pairs": pairs,
        })  # fmt: skip
    result.figures = {"runs": runs}
    result.summary = ", ".join(f"{r['object_type']} {r['seconds']:.1f} s ({r['pairs']:,} pairs)" for r in runs)
    result.database_summary = ", ".join(f"SQL {r['sql_seconds']:.1f} s" for r in runs)
    return result
