"""The RQ worker's lease: a running job's lease is renewed; a dead worker's runs out."""

from __future__ import annotations

import time

import pytest
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from crm.core.rq_backend import RedisTaskBackend
from crm.core.rq_worker import LeasedWorker, LeaseRenewal
from crm.core.tests import rq_tasks

pytestmark = [pytest.mark.scaleout, pytest.mark.django_db(transaction=True)]
LEASE = 5


def lease_expiry(backend: RedisTaskBackend, composite_key: str) -> float | None:
    return backend.connection.zscore(StartedJobRegistry("default", connection=backend.connection).key, composite_key)


def test_a_started_job_is_leased_for_the_lease_not_its_timeout(redis_tasks: RedisTaskBackend) -> None:
    # given a worker with a 5-second lease that takes a job
    rq_tasks.add.enqueue(a=1, b=1)
    worker = LeasedWorker([redis_tasks.queue("default")], connection=redis_tasks.connection, lease=LEASE)
    dequeued = worker.dequeue_job_and_maintain_ttl(timeout=1)
    assert dequeued is not None

    # when it starts the job
    before = time.time()
    execution = worker.prepare_execution(dequeued[0])

    # then the job's lease ends about 5 seconds later (not after RQ's job timeout)
    expiry = lease_expiry(redis_tasks, execution.composite_key)
    assert expiry is not None
    assert before + LEASE - 1 <= expiry <= time.time() + LEASE


def test_renewing_a_lapsed_lease_keeps_the_job_from_being_recovered(redis_tasks: RedisTaskBackend) -> None:
    # given a running job whose lease has just lapsed
    enqueued = rq_tasks.add.enqueue(a=1, b=1)
    worker = LeasedWorker([redis_tasks.queue("default")], connection=redis_tasks.connection, lease=LEASE)
    dequeued = worker.dequeue_job_and_maintain_ttl(timeout=1)
    assert dequeued is not None
    job = dequeued[0]
    execution = worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    registry = StartedJobRegistry("default", connection=redis_tasks.connection)
    redis_tasks.connection.zadd(registry.key, {execution.composite_key: time.time() - 1})

    # when the worker's renewal thread renews it, and then a clean-up runs
    LeaseRenewal(worker, job, execution).renew_once()
    registry.cleanup()

    # then the lease runs again and the job is still running, not queued for another worker
    expiry = lease_expiry(redis_tasks, execution.composite_key)
    assert expiry is not None
    assert expiry > time.time()
    assert job.get_status(refresh=True) == JobStatus.STARTED
    assert enqueued.id not in redis_tasks.queue("default").get_job_ids()
