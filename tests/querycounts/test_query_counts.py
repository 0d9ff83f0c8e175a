"""Query counts of every request the benchmark suite times, held against a committed baseline.

The demo data is seeded (`crm demo --scale 2000`), then every list page, list API, search, detail
page, board, report and the duplicate check that `crm bench` times (bench/suite/catalogue.py) is
requested through Django's test client, once to warm per-process caches and once counted. A count
above bench/query_counts.json's for this database fails, naming the request and both counts.
Timings are never asserted.

`crm bench --update-query-counts` (or CRM_UPDATE_QUERY_COUNTS=1) writes the counts as the new baseline
for the database under test; commit the file with the change that explains it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.suite import catalogue, sampling
from bench.suite.catalogue import Group, Request
from conftest import empty_and_restore_migrated_rows, ensure_builtin_roles
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.identity.models import User

SCALE = 2000
BASELINE = Path(__file__).resolve().parents[2] / "bench" / "query_counts.json"
UPDATING = os.environ.get("CRM_UPDATE_QUERY_COUNTS") == "1"
# Workloads the suite lists although the project has nothing to request yet (reported as skipped there).
NOT_IN_THE_PROJECT: set[str] = set()

# serialized_rollback: the test database keeps a copy of its migrated rows, which the demo fixture restores.
pytestmark = [pytest.mark.django_db(serialized_rollback=True)]


@pytest.fixture(scope="module", autouse=True)
def _demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo data, loaded outside the test transaction: SQLite refuses the loader's connection settings
    inside one. The database is emptied and its migrated rows restored afterwards."""
    with django_db_blocker.unblock():
        ensure_builtin_roles()  # transactional tests elsewhere may have emptied the migrations' rows
        ensure_default_pipeline()
        call_command("demo", scale=SCALE, quiet=True)
        yield
        empty_and_restore_migrated_rows()


def _first_of_each_variant(group: Group) -> list[Request]:
    return list({request.variant: request for request in reversed(group.requests)}.values())[::-1]


def _count(client: Client, request: Request) -> tuple[int, int]:
    """(status, queries) of the second of two identical requests; the first warms per-process caches."""

    def send() -> Any:
        if request.method == "GET":
            return client.get(request.path)
        return client.post(request.path, data=request.data or {}, headers={"HX-Request": "true"})

    send()
    with CaptureQueriesContext(connection) as captured:
        response = send()
    return response.status_code, len(captured)


def _baseline() -> dict[str, int]:
    stored = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    return dict(stored.get(connection.vendor, {}))


def _write_baseline(counts: dict[str, int]) -> None:
    stored = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    stored[connection.vendor] = counts
    BASELINE.write_text(json.dumps(dict(sorted(stored.items())), ensure_ascii=False, indent=2) + "\n")


def test_query_counts_of_the_benchmarked_requests_do_not_grow() -> None:
    # given the demo data, and every workload the suite times on it
    groups = catalogue.groups(sampling.collect(), timezone.localdate())
    baseline = _baseline()
    counts: dict[str, int] = {}
    failed: list[str] = []
    clients: dict[str, Client] = {}
    for group in groups:
        if group.key in NOT_IN_THE_PROJECT:
            continue
        if not group.requests:
            failed.append(f"{group.key}: no requests on the demo data ({group.skip_reason or 'no records'})")
            continue
        if group.user not in clients:
            clients[group.user] = Client()
            clients[group.user].force_login(User.objects.get(username=group.user))
        for request in _first_of_each_variant(group):
            # when each request is sent
            status, queries = _count(clients[group.user], request)
            name = f"{group.key}: {request.variant}"
            counts[name] = queries
            where = f"({group.user}: {request.method} {request.path})"
            # then it succeeds with no more queries than the baseline allows
            if status != 200:
                failed.append(f"{name}: HTTP {status} {where}")
            elif not UPDATING and name not in baseline:
                failed.append(f"{name}: {queries} queries, no baseline {where}")
            elif not UPDATING and queries > baseline[name]:
                failed.append(f"{name}: {queries} queries, baseline {baseline[name]} {where}")
    if UPDATING and not failed:
        _write_baseline(dict(sorted(counts.items())))
    assert not failed, (
        f"query counts on {connection.vendor} (baseline {BASELINE.name}; after a reviewed change, "
        "`crm bench --update-query-counts` rewrites it):\n" + "\n".join(failed)
    )
