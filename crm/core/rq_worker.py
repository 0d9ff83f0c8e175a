"""The RQ side of `crm worker` when `TASK_BACKEND=redis`: run jobs, hold a lease on each, recover orphans.

Jobs run inside the worker process (RQ's SimpleWorker: no fork per job, so Django's database
connections stay this process's own, as in the database worker). While a job runs, a thread renews
the job's lease in RQ's started-job registry every third of `lease` seconds. When a worker dies the
renewals stop; every idle worker cleans the registries about every `lease` seconds (RQ's
maintenance, one worker at a time), and a job whose lease has run out goes back to the front of its
queue, to be run again by a live worker. (RQ's clean-up lock lasts 15 minutes; a worker dying during
the few milliseconds of a clean-up delays recovery by that much.) The guarantee this gives, and what it
asks of tasks, is described in `crm/core/rq_backend.py`.

A second thread moves tasks enqueued with `run_after` onto their queue when they fall due
(RQ's scheduler, run as a thread rather than the forked process RQ would start).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Sequence
from typing import Any

from django.db import close_old_connections
from redis.exceptions import RedisError
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from rq.worker import SimpleWorker, WorkerStatus

from crm.core.rq_backend import SERIALIZER, RedisTaskBackend

log = logging.getLogger(__name__)
DEFAULT_LEASE_SECONDS = 30


class LeaseRenewal(threading.Thread):
    """Keeps a running job's lease alive until stopped; a dead worker's leases simply run out."""

    def __init__(self, worker: LeasedWorker, job: Job, execution: Execution) -> None:
        super().__init__(name=f"rq-lease-{job.id}", daemon=True)
        self.worker = worker
        self.job = job
        self.execution = execution
        self.stopped = threading.Event()

    def renew_once(self) -> None:
        self.worker.maintain_heartbeats(self.job, self.execution)

    def run(self) -> None:
        while not self.stopped.wait(max(self.worker.lease / 3, 0.2)):
            try:
                self.renew_once()
            except RedisError:  # a Redis hiccup shorter than the lease loses nothing; keep trying
                log.warning("could not renew the lease on job %s", self.job.id, exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join()


class LeasedWorker(SimpleWorker):
    """An RQ worker that runs each job in-process under a lease of `lease` seconds."""

    def __init__(self, queues: Sequence[Queue], *, lease: int = DEFAULT_LEASE_SECONDS, **kwargs: Any) -> None:
        self.lease = lease
        self._renewal: LeaseRenewal | None = None
        # An idle worker wakes from its blocking dequeue every `lease` seconds (RQ waits worker_ttl - 15)
        # and then cleans the registries if `lease` seconds have passed since the last clean-up, so an
        # abandoned job waits at most about two leases before it is queued again.
        kwargs.setdefault("worker_ttl", lease + 15)
        kwargs.setdefault("maintenance_interval", lease)
        kwargs.setdefault("job_monitoring_interval", lease)
        super().__init__(list(queues), serializer=SERIALIZER, **kwargs)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.lease

    def execute_job(self, job: Job, queue: Queue) -> None:
        close_old_connections()  # as at the start of a request: drop connections the database closed
        execution = self.prepare_execution(job)
        self._renewal = LeaseRenewal(self, job, execution)
        self._renewal.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            self._renewal.stop()
            self._renewal = None
            close_old_connections()
        self.set_state(WorkerStatus.IDLE)

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        # The outcome is about to be written; a renewal racing it could resurrect a finished execution.
        if self._renewal is not None:
            self._renewal.stop()
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def handle_job_failure(
        self,
        job: Job,
        queue: Queue,
        started_job_registry: StartedJobRegistry | None = None,
        exc_string: str = "",
        execution: Execution | None = None,
    ) -> None:
        attempts = job.meta.get("attempts") or [{}]
        if attempts[-1].get("error"):
            # The task itself raised: FAILED now, as with the database backend. The retry budget is
            # kept for runs cut off from outside (a dying worker, a forced shutdown).
            job.retries_left = 0
        super().handle_job_failure(
            job, queue, started_job_registry=started_job_registry, exc_string=exc_string, execution=execution
        )


class DeferredJobPromoter(threading.Thread):
    """Queues tasks whose `run_after` has come; one worker per queue does it at a time (a Redis lock)."""

    def __init__(
        self, backend: RedisTaskBackend, queue_names: Sequence[str], *, tick: float = 1.0, verbose: bool = False
    ) -> None:
        super().__init__(name="rq-deferred-jobs", daemon=True)
        self.scheduler = RQScheduler(
            list(queue_names),
            connection=backend.connection,
            serializer=SERIALIZER,
            interval=max(int(tick), 1),
            logging_level=logging.INFO if verbose else logging.WARNING,
        )
        self.tick = tick
        self.stopped = threading.Event()

    def promote_due(self) -> None:
        # Takes each queue's lock if free, or refreshes it if this worker holds it already.
        self.scheduler.acquire_locks()  # type: ignore[no-untyped-call]
        if self.scheduler.acquired_locks:
            self.scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]

    def run(self) -> None:
        while not self.stopped.wait(self.tick):
            try:
                self.promote_due()
            except RedisError:
                log.warning("could not move due deferred tasks to their queues", exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive():
            self.join()
        try:
            self.scheduler.release_locks()  # type: ignore[no-untyped-call]
        except RedisError:
            log.warning("could not release the deferred-task locks; they expire by themselves", exc_info=True)


def worker_name() -> str:
    """Host and process id (what an operator needs to find the process), plus a random part because
    RQ refuses a name that a recently killed worker with a reused process id still holds."""
    return f"{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(3)}"


def run_worker(
    backend: RedisTaskBackend,
    *,
    queue_names: Sequence[str],
    burst: bool = False,
    lease: int = DEFAULT_LEASE_SECONDS,
    verbose: bool = False,
) -> None:
    """Work the queues until stopped (SIGTERM finishes the running job first), or until they are empty."""
    worker = LeasedWorker(
        [backend.queue(name) for name in queue_names],
        connection=backend.connection,
        name=worker_name(),
        lease=lease,
        log_job_description=verbose,
    )
    promoter = DeferredJobPromoter(backend, queue_names, verbose=verbose)
    promoter.promote_due()  # tasks that fell due while no worker ran, before the first dequeue
    if not burst:
        promoter.start()
    try:
        worker.work(burst=burst, logging_level="INFO" if verbose else "WARNING")
    finally:
        promoter.stop()
