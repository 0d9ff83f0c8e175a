"""/healthz, as a load balancer asks it: the database, and Redis when it is the task queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from redis import Redis

from crm.core.tests.redis_queue import redis_settings


@pytest.mark.django_db
def test_health_is_ok_when_the_database_answers() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_fails_when_the_redis_task_queue_cannot_be_reached(settings: Any) -> None:
    # given Redis as the task queue, at an address where nothing listens
    settings.TASKS = {
        "default": {"BACKEND": "crm.core.rq_backend.RedisTaskBackend", "OPTIONS": {"URL": "redis://127.0.0.1:1/0"}}
    }
    # when a load balancer asks
    response = Client().get("/healthz")
    # then the server says it should get no traffic, and why
    assert response.status_code == 503
    assert response.json() == {"status": "error", "failing": ["task_queue"]}


@pytest.mark.scaleout
@pytest.mark.django_db
def test_health_is_ok_when_the_redis_task_queue_answers(settings: Any, redis_database: Redis) -> None:
    settings.TASKS = redis_settings()
    assert Client().get("/healthz").status_code == 200
