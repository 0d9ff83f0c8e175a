"""A `django.tasks` backend that queues jobs in Redis and runs them with RQ workers (`crm worker`).

Selected with `TASK_BACKEND=redis` and `REDIS_URL` (docs/configuration.md); the database backend
stays the default. Each enqueued task becomes one RQ job whose id is the task result's id, so
`task.get_result(id)` reads the job back from Redis from any process.

Delivery guarantee: every job Redis holds runs at least once.

- A job is in Redis before `enqueue()` returns; when Redis cannot be reached, `enqueue()` raises and
  nothing is queued. (Redis keeps jobs across its own restarts only with persistence on: see
  docs/deployment.md.) A job whose task raises is FAILED at once and kept with its traceback, as with
  the database backend; it is not retried.
- A worker holds a short lease on the job it runs (`crm/core/rq_worker.py`) and renews it while the
  job runs. A worker that dies mid-job (SIGKILL, power loss, out of memory) stops renewing; once the
  lease has run out, the next worker to clean the queue puts the job back at the front of the queue
  (RQ's abandoned-job clean-up with a retry budget), and another worker runs it again from the
  start, up to `MAX_RECOVERIES` (3) times; a job abandoned once more is FAILED with `AbandonedJobError`.
- So a task may run more than once, and may be cut off anywhere. Tasks are therefore idempotent
  (DESIGN.md rule 7): each writes its effect in one database transaction together with what makes a
  second run a no-op (a state check, a unique row keyed by the task result's id, a claimed slot),
  so the effect happens exactly once however often the job runs. `tests/scaleout/` kills a worker
  mid-job and checks exactly that.

Priorities: RQ queues are first in, first out; a task with a priority above the default goes to the
front of its queue, every other priority to the back. `run_after` is honoured to within about a
second by the workers (RQ's scheduled-job registry).
"""

from __future__ import annotations

import datetime as dt
import traceback
import uuid
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ParamSpec, TypeVar, cast

from django.tasks import TaskContext, TaskResult, TaskResultStatus
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import DEFAULT_TASK_PRIORITY, Task, TaskError
from django.tasks.exceptions import TaskResultDoesNotExist
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.utils.json import normalize_json
from django.utils.module_loading import import_string
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import AbandonedJobError, NoSuchJobError
from rq.job import Job, JobStatus, get_current_job
from rq.serializers import JSONSerializer

P = ParamSpec("P")
R = TypeVar("R")
AnyTask = Task[..., Any]
AnyResult = TaskResult[..., Any]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DAY = 24 * 60 * 60

# Only JSON crosses Redis: task arguments are JSON already (django.tasks normalises them), and
# nothing read back from Redis is unpickled.
SERIALIZER = JSONSerializer
ABANDONED = f"{AbandonedJobError.__module__}.{AbandonedJobError.__qualname__}"

_STATUS = {
    JobStatus.STARTED: TaskResultStatus.RUNNING,
    JobStatus.FINISHED: TaskResultStatus.SUCCESSFUL,
    JobStatus.FAILED: TaskResultStatus.FAILED,
    JobStatus.STOPPED: TaskResultStatus.FAILED,
    JobStatus.CANCELED: TaskResultStatus.FAILED,
}  # every other RQ status (created, queued, scheduled, deferred, …) means "waiting to run": READY


class RedisTaskBackend(BaseTaskBackend):
    """`TASKS = {"default": {"BACKEND": "crm.core.rq_backend.RedisTaskBackend", "OPTIONS": {...}}}`.

    OPTIONS: `URL` (the Redis server and database), `RESULT_TTL` / `FAILURE_TTL` (seconds results of
    finished / failed tasks are kept; 7 and 30 days), `JOB_TIMEOUT` (seconds a run may take before it
    is stopped and FAILED; none by default, like the database backend), `MAX_RECOVERIES` (how often a
    job whose worker died is run again; 3).
    """

    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    supports_priority = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.url: str = self.options.get("URL", DEFAULT_REDIS_URL)
        self.result_ttl: int = int(self.options.get("RESULT_TTL", 7 * DAY))
        self.failure_ttl: int = int(self.options.get("FAILURE_TTL", 30 * DAY))
        self.job_timeout: int = int(self.options.get("JOB_TIMEOUT", -1))  # -1: RQ's "no limit"
        self.max_recoveries: int = int(self.options.get("MAX_RECOVERIES", 3))

    @cached_property
    def connection(self) -> Redis:
        # One client per backend instance; Django keeps one instance per thread.
        # A connect timeout, so a health check or a request never hangs on an unreachable server.
        return Redis.from_url(self.url, socket_connect_timeout=5)

    def reachable(self) -> bool:
        """Whether Redis answers now (for health checks: a queue nobody can reach loses every job)."""
        try:
            return bool(self.connection.ping())
        except RedisError:
            return False

    def queue(self, name: str) -> Queue:
        """The RQ queue behind the django.tasks queue `name` (same name)."""
        return Queue(name, connection=self.connection, serializer=SERIALIZER, default_timeout=self.job_timeout)

    def enqueue(self, task: Task[P, R], args: list[Any], kwargs: dict[str, Any]) -> TaskResult[P, R]:
        self.validate_task(task)
        queue = self.queue(task.queue_name)
        job = queue.create_job(
            run_task,
            args=[task.module_path, normalize_json(args), normalize_json(kwargs)],
            job_id=str(uuid.uuid4()),
            description=task.module_path,
            timeout=self.job_timeout,
            result_ttl=self.result_ttl,
            failure_ttl=self.failure_ttl,
            # Retries are spent only on runs cut off from outside, such as by a dying worker
            # (see LeasedWorker.handle_job_failure).
            retry=Retry(max=self.max_recoveries, enqueue_at_front=True) if self.max_recoveries > 0 else None,
            meta={"task": _task_meta(task, self.alias), "attempts": []},
        )
        if task.run_after is not None:
            queue.schedule_job(job, task.run_after)
        else:
            queue.enqueue_job(job, at_front=task.priority > DEFAULT_TASK_PRIORITY)
        result = cast("TaskResult[P, R]", task_result_from_job(job, task=task))
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> AnyResult:
        try:
            job = Job.fetch(str(result_id), connection=self.connection, serializer=SERIALIZER)
        except (NoSuchJobError, ValueError) as missing:  # ValueError: not a job id at all
            raise TaskResultDoesNotExist(result_id) from missing
        if "task" not in job.meta:
            raise TaskResultDoesNotExist(result_id)  # an RQ job that no django task enqueued
        return task_result_from_job(job)


def _task_meta(task: AnyTask, alias: str) -> dict[str, Any]:
    return {
        "path": task.module_path,
        "priority": task.priority,
        "queue_name": task.queue_name,
        "backend": alias,
        "run_after": task.run_after.isoformat() if task.run_after else None,
    }


def _task_from_meta(meta: Mapping[str, Any]) -> AnyTask:
    declared: AnyTask = import_string(meta["path"])
    run_after = dt.datetime.fromisoformat(meta["run_after"]) if meta["run_after"] else None
    return declared.using(
        priority=meta["priority"], queue_name=meta["queue_name"], backend=meta["backend"], run_after=run_after
    )


def _aware(moment: dt.datetime | str | None) -> dt.datetime | None:
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # RQ stores naive UTC times


def _errors(job: Job, status: TaskResultStatus) -> list[TaskError]:
    """One error per attempt that did not succeed: the exception it raised, or abandonment.

    Only a run whose worker died is ever run again, so every attempt but the last that recorded no
    exception was abandoned; so was the last one if the job failed without recording one.
    """
    attempts: list[dict[str, Any]] = job.meta.get("attempts", [])
    errors: list[TaskError] = []
    for number, attempt in enumerate(attempts, start=1):
        is_last = number == len(attempts)
        if attempt.get("error"):
            errors.append(TaskError(**attempt["error"]))
        elif not is_last or status in {TaskResultStatus.FAILED, TaskResultStatus.READY}:
            errors.append(TaskError(exception_class_path=ABANDONED, traceback=_abandonment(job, attempt, is_last)))
    if not attempts and status == TaskResultStatus.FAILED:
        errors.append(TaskError(exception_class_path=ABANDONED, traceback=_abandonment(job, {}, True)))
    return errors


def _abandonment(job: Job, attempt: Mapping[str, Any], is_last: bool) -> str:
    latest = job.latest_result() if is_last else None
    if latest is not None and latest.exc_string:
        return latest.exc_string
    return f"Worker {attempt.get('worker') or '?'} stopped before the task finished."


def task_result_from_job(job: Job, *, task: AnyTask | None = None) -> AnyResult:
    """The django.tasks view of an RQ job enqueued by RedisTaskBackend."""
    meta = job.meta
    status = _STATUS.get(job.get_status(refresh=False), TaskResultStatus.READY)
    attempts: list[dict[str, Any]] = meta.get("attempts", [])
    _path, args, kwargs = job.args
    result: AnyResult = TaskResult(
        task=task or _task_from_meta(meta["task"]),
        id=job.id,
        status=status,
        enqueued_at=_aware(job.created_at),
        started_at=_aware(attempts[0]["started_at"]) if attempts else None,
        last_attempted_at=_aware(attempts[-1]["started_at"]) if attempts else None,
        finished_at=_aware(job.ended_at) if status in {TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED} else None,
        args=args,
        kwargs=kwargs,
        backend=meta["task"]["backend"],
        errors=_errors(job, status),
        worker_ids=[attempt["worker"] for attempt in attempts],
    )
    if status == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", job.return_value())
    return result


def run_task(path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """The function every RQ job of this backend runs: one attempt at the django task `path`."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("run_task runs inside an RQ worker only")
    attempt = begin_attempt(job)
    try:
        task = _task_from_meta(job.meta["task"])
        started = task_result_from_job(job, task=task)
        task_started.send(RedisTaskBackend, task_result=started)
        if task.takes_context:
            value = task.call(TaskContext(task_result=started), *args, **kwargs)
        else:
            value = task.call(*args, **kwargs)
        value = normalize_json(value)
    except Exception as error:
        attempt["error"] = {
            "exception_class_path": f"{type(error).__module__}.{type(error).__qualname__}",
            "traceback": "".join(traceback.format_exception(error)),
        }
        job.save_meta()  # type: ignore[no-untyped-call]
        _send_finished(job, TaskResultStatus.FAILED)
        raise
    _send_finished(job, TaskResultStatus.SUCCESSFUL, value)
    return value


def begin_attempt(job: Job) -> dict[str, Any]:
    """Record that a worker starts running `job`, before the task starts, so that a run cut off by a
    dying worker still counts as an attempt."""
    attempt: dict[str, Any] = {
        "worker": job.worker_name or "",
        "started_at": (job.started_at or _utc_now()).isoformat(),
        "error": None,
    }
    job.meta.setdefault("attempts", []).append(attempt)
    job.save_meta()  # type: ignore[no-untyped-call]
    return attempt


def _send_finished(job: Job, status: TaskResultStatus, value: Any = None) -> None:
    finished = task_result_from_job(job)
    object.__setattr__(finished, "status", status)
    object.__setattr__(finished, "finished_at", _utc_now())
    object.__setattr__(finished, "errors", _errors(job, status))
    object.__setattr__(finished, "_return_value", value)
    task_finished.send(RedisTaskBackend, task_result=finished)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
