"""Scenarios of `crm.core.two_processes`, run by its tests in a fresh interpreter.

A test process may have threads of its own (pytest-xdist's), and a process with threads never
forks; a fresh interpreter has none. Prints each scenario's result as JSON.
"""

from __future__ import annotations

import json
import os
import sys

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


def dying() -> object:
    def work(indexes: range) -> list[tuple[int, int]]:
        if os.getpid() != PARENT:
            os._exit(3)
        return _where(indexes)

    return {"results": two_processes.in_two_processes(8, work)}


if __name__ == "__main__":
    sys.stdout.write(json.dumps({"parent": PARENT, **globals()[sys.argv[1]]()}) + "\n")
