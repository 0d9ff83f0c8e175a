"""Scenarios of `crm.core.two_processes`, run by its tests in a fresh interpreter.

A fresh interpreter forks from a known state: no test database, no pytest-xdist threads, one
connection opened by the scenario itself. Prints each scenario's result as JSON.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import threading
import time

import django

django.setup()

from django.db import connection  # noqa: E402  (after setup, as in any script)

from crm.core import two_processes  # noqa: E402

two_processes.MIN_ITEMS = 4
PARENT = os.getpid()


def _where(indexes: range) -> list[tuple[int, int]]:
    return [(index, os.getpid()) for index in indexes]


def split() -> object:
    return {"may_fork": two_processes._may_fork(), "results": two_processes.in_two_processes(10, _where)}


def querying() -> object:
    def counting(indexes: range) -> list[tuple[int, int]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return _where(indexes)

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the connection is open before the fork, as during an import
    results = two_processes.in_two_processes(8, counting)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
        still_works = cursor.fetchone()[0] == 2
    return {"results": results, "still_works": still_works}


def hanging() -> object:
    # A child stuck on a lock it inherited never answers; the parent stops waiting after its deadline.
    two_processes.PATIENCE_SECONDS = 1.0

    def work(indexes: range) -> list[tuple[int, int]]:
        if os.getpid() != PARENT:
            time.sleep(600)
        return _where(indexes)

    started = time.monotonic()
    results = two_processes.in_two_processes(8, work)
    return {"results": results, "seconds": time.monotonic() - started}


def failing_here() -> object:
    # This process's own half fails while the child is still working: the error comes at once.
    def work(indexes: range) -> list[tuple[int, int]]:
        if os.getpid() != PARENT:
            time.sleep(600)
            return _where(indexes)
        raise ValueError("bad row")

    started = time.monotonic()
    try:
        two_processes.in_two_processes(8, work)
    except ValueError as exc:
        return {"error": str(exc), "seconds": time.monotonic() - started, "children": _children()}
    return {"error": None}


def _children() -> int:
    return len(multiprocessing.active_children())


def with_a_thread() -> object:
    # The task worker runs its scheduler in a thread beside the job.
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        return {"results": two_processes.in_two_processes(10, _where)}
    finally:
        stop.set()


def dying() -> object:
    def work(indexes: range) -> list[tuple[int, int]]:
        if os.getpid() != PARENT:
            os._exit(3)
        return _where(indexes)

    return {"results": two_processes.in_two_processes(8, work)}


if __name__ == "__main__":
    sys.stdout.write(json.dumps({"parent": PARENT, **globals()[sys.argv[1]]()}) + "\n")
