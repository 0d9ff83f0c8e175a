"""The Redis (RQ) task backend against a real Redis: enqueue, results, failures, recovery of abandoned runs."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.core.management import call_command
from django.tasks import TaskResultStatus, task_backends
from django.tasks.exceptions import TaskResultDoesNotExist
from rq.registry import StartedJobRegistry

from crm.core.rq_backend import ABANDONED, RedisTaskBackend, begin_attempt
from crm.core.rq_worker import LeasedWorker
from crm.core.tests import rq_tasks
from crm.core.tests.redis_queue import redis_settings

pytestmark = [pytest.mark.scaleout, pytest.mark.django_db(transaction=True)]


def work_queue() -> None:
    call_command("worker", "--batch")


def abandon_next_job(backend: RedisTaskBackend, *, worker_name: str) -> None:
    """What a worker does before the task starts, then nothing more: as if it were killed mid-job."""
    worker = LeasedWorker([backend.queue("default")], connection=backend.connection, name=worker_name, lease=1)
    dequeued = worker.dequeue_job_and_maintain_ttl(timeout=1)
    assert dequeued is not None
    job, _queue = dequeued
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    begin_attempt(job)


def expire_leases(backend: RedisTaskBackend) -> None:
    """A live worker's registry clean-up, run once the dead worker's lease has run out."""
    StartedJobRegistry(
        "default", connection=backend.connection, serializer=backend.queue("default").serializer
    ).cleanup(timestamp=time.time() + 60)


def test_enqueue_returns_a_ready_result_that_reads_back_the_same(redis_tasks: RedisTaskBackend) -> None:
    # given a task enqueued with arguments
    enqueued = rq_tasks.add.enqueue(a=2, b=3)

    # when its result is read back by id
    result = rq_tasks.add.get_result(enqueued.id)

    # then both say the task waits, with its arguments and no attempt yet
    assert enqueued.status == TaskResultStatus.READY
    assert (result.id, result.status, result.kwargs, result.args) == (
        enqueued.id,
        TaskResultStatus.READY,
        {"a": 2, "b": 3},
        [],
    )
    assert result.task.module_path == "crm.core.tests.rq_tasks.add"
    assert result.backend == "default"
    assert result.worker_ids == []
    assert result.errors == []
    assert result.enqueued_at is not None
    assert result.started_at is None
    assert result.finished_at is None


def test_worker_runs_the_task_and_the_result_holds_its_return_value(redis_tasks: RedisTaskBackend) -> None:
    # given an enqueued task
    enqueued = rq_tasks.add.enqueue(a=2, b=3)

    # when a worker works the queue
    work_queue()

    # then the result is successful, with the value, one attempt and the times it ran
    enqueued.refresh()
    assert enqueued.status == TaskResultStatus.SUCCESSFUL
    assert enqueued.return_value == 5
    assert enqueued.attempts == 1
    assert enqueued.errors == []
    assert enqueued.started_at is not None
    assert enqueued.finished_at is not None
    assert enqueued.started_at <= enqueued.finished_at


def test_a_task_that_raises_fails_at_once_with_its_exception(redis_tasks: RedisTaskBackend) -> None:
    # given a task that raises
    enqueued = rq_tasks.refuse.enqueue(reason="客户已停用")

    # when a worker works the queue
    work_queue()

    # then it failed on its only attempt, with the exception's class and traceback, and is not retried
    result = rq_tasks.refuse.get_result(enqueued.id)
    assert result.status == TaskResultStatus.FAILED
    assert result.attempts == 1
    assert [error.exception_class_path for error in result.errors] == ["builtins.ValueError"]
    assert result.errors[0].exception_class is ValueError
    assert "客户已停用" in result.errors[0].traceback
    assert len(redis_tasks.queue("default")) == 0
    with pytest.raises(ValueError, match="Task failed"):
        _ = result.return_value


def test_task_that_takes_context_sees_its_result_id_and_attempt(redis_tasks: RedisTaskBackend) -> None:
    # given a task that takes its context
    enqueued = rq_tasks.report_attempt.enqueue(label="首次")

    # when it runs
    work_queue()

    # then it saw its own result id and the first attempt
    enqueued.refresh()
    assert enqueued.return_value == {"label": "首次", "result_id": enqueued.id, "attempt": 1}


def test_unknown_result_id_does_not_exist(redis_tasks: RedisTaskBackend) -> None:
    with pytest.raises(TaskResultDoesNotExist):
        redis_tasks.get_result("no-such-job")
    with pytest.raises(TaskResultDoesNotExist):
        redis_tasks.get_result("not a job id: spaces and colons")


def test_higher_priority_goes_to_the_front_of_the_queue(redis_tasks: RedisTaskBackend) -> None:
    # given two tasks at the default priority, then one above it and one below
    first = rq_tasks.add.enqueue(a=1, b=1)
    second = rq_tasks.add.enqueue(a=2, b=2)
    urgent = rq_tasks.add.using(priority=10).enqueue(a=3, b=3)
    relaxed = rq_tasks.add.using(priority=-10).enqueue(a=4, b=4)

    # when the queue is read
    order = redis_tasks.queue("default").get_job_ids()

    # then the urgent one runs first and the rest in the order they came
    assert order == [urgent.id, first.id, second.id, relaxed.id]


def test_task_with_run_after_waits_until_it_falls_due(redis_tasks: RedisTaskBackend) -> None:
    # given a task deferred by an hour
    start = dt.datetime.now(dt.UTC)
    enqueued = rq_tasks.add.using(run_after=start + dt.timedelta(hours=1)).enqueue(a=1, b=2)

    # when a worker works the queue now
    work_queue()

    # then it still waits, in the scheduled registry
    assert rq_tasks.add.get_result(enqueued.id).status == TaskResultStatus.READY
    assert enqueued.id in redis_tasks.queue("default").scheduled_job_registry

    # and when a worker works the queue after the hour, it runs
    with time_machine.travel(start + dt.timedelta(hours=1, minutes=1)):
        work_queue()
    result = rq_tasks.add.get_result(enqueued.id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 3
    assert result.task.run_after == start + dt.timedelta(hours=1)


def test_job_of_a_worker_that_died_is_run_again_by_another(redis_tasks: RedisTaskBackend) -> None:
    # given a task whose worker died after starting it
    enqueued = rq_tasks.add.enqueue(a=20, b=22)
    abandon_next_job(redis_tasks, worker_name="dead-worker")
    assert rq_tasks.add.get_result(enqueued.id).status == TaskResultStatus.RUNNING

    # when the lease has run out and a live worker cleans up, then works the queue
    expire_leases(redis_tasks)
    waiting = rq_tasks.add.get_result(enqueued.id)
    work_queue()

    # then the task was queued again and finished on the second attempt, the first recorded as abandoned
    assert waiting.status == TaskResultStatus.READY
    result = rq_tasks.add.get_result(enqueued.id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 42
    assert result.worker_ids[0] == "dead-worker"
    assert len(result.worker_ids) == 2
    assert result.worker_ids[1] != "dead-worker"
    assert [error.exception_class_path for error in result.errors] == [ABANDONED]
    assert "dead-worker" in result.errors[0].traceback


def test_run_cut_off_from_outside_is_run_again(redis_tasks: RedisTaskBackend) -> None:
    # given a task whose first run is stopped from outside (SystemExit, as in a forced shutdown)
    enqueued = rq_tasks.cut_off_first_run.enqueue()

    # when a worker works the queue
    work_queue()

    # then it ran a second time and finished
    result = rq_tasks.cut_off_first_run.get_result(enqueued.id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "finished on a later run"
    assert result.attempts == 2
    assert [error.exception_class_path for error in result.errors] == [ABANDONED]


def test_job_abandoned_more_often_than_allowed_fails(settings: object, redis_tasks: RedisTaskBackend) -> None:
    # given a backend that recovers an abandoned job once, and a task abandoned twice
    settings.TASKS = redis_settings(MAX_RECOVERIES=1)  # type: ignore[attr-defined]
    backend = task_backends["default"]
    assert isinstance(backend, RedisTaskBackend)
    enqueued = rq_tasks.add.enqueue(a=1, b=1)
    abandon_next_job(backend, worker_name="first-dead-worker")
    expire_leases(backend)
    abandon_next_job(backend, worker_name="second-dead-worker")

    # when the second lease runs out too
    expire_leases(backend)

    # then the task failed, both attempts recorded as abandoned
    result = rq_tasks.add.get_result(enqueued.id)
    assert result.status == TaskResultStatus.FAILED
    assert result.worker_ids == ["first-dead-worker", "second-dead-worker"]
    assert [error.exception_class_path for error in result.errors] == [ABANDONED, ABANDONED]
    assert len(backend.queue("default")) == 0
