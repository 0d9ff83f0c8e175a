"""The scale-out set-up, started for real on this machine: PostgreSQL, two app servers, Redis, two workers.

A smoke workload goes through both app servers (sessions, records and jobs are shared through the
database and Redis), then a worker is killed with SIGKILL in the middle of a job, after the job's
effect committed: the other worker runs the job again and the effect still exists exactly once.
Needs `DATABASE_URL` pointing at PostgreSQL (the test makes a database of its own next to it) and
Redis at `TEST_REDIS_URL`; scripts/test runs it in its PostgreSQL stage.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from django.tasks import TaskResultStatus
from psycopg import sql
from rq import Worker

from crm.core.rq_backend import ABANDONED, RedisTaskBackend
from crm.core.tests.redis_queue import REDIS_URL, exclusive_redis
from tests.scaleout import jobs
from tests.scaleout.topology import Topology, wait_for

pytestmark = [pytest.mark.scaleout]

PASSWORD = "scale-out-secret-7"
LEASE = 3  # seconds: short, so the killed worker's job is recovered quickly
LINGER = 4.0  # seconds the slow job works on after its effect committed
CUSTOMER = "杭州云帆科技有限公司"
LEADS_CSV = "name,mobile,external_id\n王建国,13912345678,SO-1\n李娜,13812345678,SO-2\n".encode()


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[Topology]:
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        pytest.fail("The scale-out test needs PostgreSQL: run it with DATABASE_URL=postgres://… (scripts/test does).")
    with exclusive_redis() as redis:
        setup = Topology(
            server_url=configured,
            database=f"{urlsplit(configured).path.lstrip('/')}_topology",
            redis_url=REDIS_URL,
            logs=tmp_path,
        )
        started = time.monotonic()
        try:
            setup.create_database()
            setup.crm("migrate", "-v", "0")
            migrated = time.monotonic()
            with psycopg.connect(setup.url, autocommit=True) as database:
                for statement in jobs.TABLES:
                    database.execute(statement)
            servers = [setup.start_server("server-a"), setup.start_server("server-b")]
            workers = {setup.start(name, "worker", "--lease", str(LEASE)).pid for name in ("worker-1", "worker-2")}
            setup.crm("createadmin", "--username", "ops", "--password", PASSWORD)
            for server in servers:
                setup.wait_until_serving(server)
            wait_for(
                "both workers to listen on Redis",
                lambda: {worker.pid for worker in Worker.all(connection=redis)} == workers,
                timeout=60,
            )
            print(  # noqa: T201  (figures for the run's log; never asserted)
                f"scale-out set-up: migrated in {migrated - started:.1f} s, "
                f"all four processes ready {time.monotonic() - started:.1f} s after the start"
            )
            yield setup
        finally:
            for name in setup.processes:  # shown by pytest only when the test failed (or with -s)
                print(f"--- {name} (last lines) ---\n{setup.log_tail(name)}")  # noqa: T201
            setup.close()


def server(topology: Topology, name: str) -> str:
    return f"http://127.0.0.1:{topology.ports[name]}"


def sign_in(client: httpx.Client) -> None:
    client.get("/login/")
    response = client.post(
        "/login/", data={"username": "ops", "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]}
    )
    assert response.status_code == 302, response.text
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]  # rotated on sign-in


def run_smoke_workload(topology: Topology) -> None:
    """Sign in on A; create a customer on A, read it on B; import leads through B, watch the job on A."""
    with (
        httpx.Client(base_url=server(topology, "server-a"), timeout=30) as on_a,
        httpx.Client(base_url=server(topology, "server-b"), timeout=30) as on_b,
    ):
        sign_in(on_a)
        on_b.cookies.update(on_a.cookies)  # the session lives in the database, so B knows it
        on_b.headers["X-CSRFToken"] = on_a.headers["X-CSRFToken"]

        created = on_a.post("/api/v1/customers", json={"name": CUSTOMER})
        assert created.status_code == 201, created.text
        customer_id = created.json()["id"]
        read = on_b.get(f"/api/v1/customers/{customer_id}")
        assert (read.status_code, read.json()["name"]) == (200, CUSTOMER)
        page = on_b.get(f"/customers/{customer_id}/")
        assert page.status_code == 200
        assert CUSTOMER in page.text

        upload = on_b.post(
            "/api/v1/imports",
            files={"file": ("leads.csv", LEADS_CSV, "text/csv")},
            data={"object_type": "leads", "mapping": json.dumps(["name", "mobile", "external_id"])},
        )
        assert upload.status_code == 202, upload.text
        job_id = upload.json()["id"]

        def finished_import() -> dict[str, object] | None:
            body: dict[str, object] = on_a.get(f"/api/v1/imports/{job_id}").json()
            return body if body["status"] in {"done", "failed"} else None

        imported = wait_for("the import job to finish", finished_import, timeout=60)
        assert (imported["status"], imported["created_count"], imported["rejected_count"]) == ("done", 2, 0)


def test_two_app_servers_and_two_workers_share_the_work_and_survive_a_killed_worker(topology: Topology) -> None:
    # given the set-up running, and a smoke workload through both app servers that works
    run_smoke_workload(topology)

    # and given a slow job enqueued on Redis, whose effect has committed while it still runs
    backend = RedisTaskBackend("default", {"OPTIONS": {"URL": REDIS_URL}})
    enqueued = backend.enqueue(jobs.record_effect_then_linger, [], {"linger": LINGER})
    worker_pids = {topology.processes[name].pid: name for name in ("worker-1", "worker-2")}
    with psycopg.connect(topology.url, autocommit=True) as database:

        def pids(table: str) -> list[int]:
            query = sql.SQL("SELECT pid FROM {} WHERE result_id = %s ORDER BY pid").format(sql.Identifier(table))
            return [row[0] for row in database.execute(query, [enqueued.id]).fetchall()]

        def effect_pid() -> int | None:
            return next(iter(pids("scaleout_effect")), None)

        first_pid = wait_for("the job's effect", effect_pid, timeout=60)
        assert first_pid in worker_pids
        assert backend.get_result(enqueued.id).status == TaskResultStatus.RUNNING

        # when the worker running it is killed
        killed_at = time.monotonic()
        os.kill(first_pid, signal.SIGKILL)
        assert topology.processes[worker_pids[first_pid]].wait(timeout=10) == -signal.SIGKILL

        # then the other worker runs the job again to the end
        def finished() -> TaskResultStatus | None:
            status = backend.get_result(enqueued.id).status
            return status if status in {TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED} else None

        assert wait_for("the job to finish", finished, timeout=60) == TaskResultStatus.SUCCESSFUL
        print(f"killed worker's job finished {time.monotonic() - killed_at:.1f} s after the kill")  # noqa: T201
        (survivor,) = set(worker_pids) - {first_pid}
        result = backend.get_result(enqueued.id)
        assert result.return_value == {"inserted": False, "pid": survivor}
        assert len(result.worker_ids) == 2
        assert f".{first_pid}." in result.worker_ids[0]
        assert f".{survivor}." in result.worker_ids[1]
        assert [error.exception_class_path for error in result.errors] == [ABANDONED]

        # and it ran twice, but its effect exists exactly once, from the first run
        assert sorted(pids("scaleout_attempt")) == sorted([first_pid, survivor])
        assert pids("scaleout_effect") == [first_pid]
