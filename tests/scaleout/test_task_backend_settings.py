"""`TASK_BACKEND` and `REDIS_URL` pick the task backend; a value the CRM does not know stops the start."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import Env
from config.settings import _task_backend


def test_redis_backend_gets_the_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the Redis backend chosen with a Redis URL
    monkeypatch.setenv("TASK_BACKEND", "redis")
    monkeypatch.setenv("REDIS_URL", "redis://:secret@redis.internal:6379/3")

    # when the environment is read and turned into the TASKS setting
    env = Env.load()
    backend = _task_backend(env.task_backend, env.redis_url)

    # then the RQ backend points at that Redis database
    assert backend == {
        "BACKEND": "crm.core.rq_backend.RedisTaskBackend",
        "OPTIONS": {"URL": "redis://:secret@redis.internal:6379/3"},
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "django_tasks_db.DatabaseBackend"),
        ("database", "django_tasks_db.DatabaseBackend"),
        ("immediate", "django.tasks.backends.immediate.ImmediateBackend"),
    ],
)
def test_other_backends(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("TASK_BACKEND", value)
    env = Env.load()
    assert _task_backend(env.task_backend, env.redis_url) == {"BACKEND": expected}


def test_unknown_task_backend_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASK_BACKEND", "rabbitmq")
    with pytest.raises(ImproperlyConfigured, match="TASK_BACKEND must be one of database, redis, immediate"):
        Env.load()
