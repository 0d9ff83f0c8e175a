"""`crm worker` runs the worker of the configured task backend: RQ for Redis, db_worker otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from redis import Redis

from crm.core.rq_backend import RedisTaskBackend
from crm.core.tests.redis_queue import REDIS_URL
from crm.identity.tasks import prune_login_attempts

pytestmark = [pytest.mark.scaleout, pytest.mark.django_db(transaction=True)]


def test_worker_runs_the_redis_queue_when_redis_is_the_task_backend(redis_tasks: RedisTaskBackend) -> None:
    # given a job enqueued through the Redis backend
    result = prune_login_attempts.enqueue(older_than_days=30)

    # when the worker processes waiting tasks
    call_command("worker", "--batch")

    # then the job ran from Redis, and nothing went through the database queue
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 0
    assert DBTaskResult.objects.count() == 0


def test_worker_runs_the_database_queue_and_leaves_redis_alone(settings: Any, redis_database: Redis) -> None:
    # given the database backend as default, Redis as a second backend, and a job waiting in each
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend"},
        "redis": {"BACKEND": "crm.core.rq_backend.RedisTaskBackend", "OPTIONS": {"URL": REDIS_URL}},
    }
    in_database = prune_login_attempts.enqueue(older_than_days=30)
    redis_task = prune_login_attempts.using(backend="redis")
    in_redis = redis_task.enqueue(older_than_days=30)

    # when the worker processes waiting tasks
    call_command("worker", "--batch")

    # then the database job ran and the Redis one still waits
    in_database.refresh()
    assert in_database.status == TaskResultStatus.SUCCESSFUL
    assert redis_task.get_result(in_redis.id).status == TaskResultStatus.READY


def test_worker_refuses_a_queue_the_redis_backend_does_not_have(redis_tasks: RedisTaskBackend) -> None:
    with pytest.raises(CommandError, match="Unknown queue 'reports'"):
        call_command("worker", "--batch", "--queue-name", "reports")
