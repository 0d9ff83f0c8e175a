"""Fixtures for tests that need Redis: the test database, held by one test at a time, emptied around it.

`TEST_REDIS_URL` names the Redis database these tests may empty (default `redis://127.0.0.1:6379/7`).
Parallel test processes share it, so each test takes a file lock first and the others wait. Re-exported
by the conftest.py of the test packages that use them; mark those tests `scaleout`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.tasks import task_backends
from redis import Redis

from crm.core.rq_backend import RedisTaskBackend

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
LOCK = Path(tempfile.gettempdir()) / f"crm-test-redis-{hashlib.sha256(REDIS_URL.encode()).hexdigest()[:12]}.lock"


def redis_settings(**options: Any) -> dict[str, Any]:
    return {"default": {"BACKEND": "crm.core.rq_backend.RedisTaskBackend", "OPTIONS": {"URL": REDIS_URL, **options}}}


@contextmanager
def exclusive_redis() -> Iterator[Redis]:
    """The test Redis database to this test alone (other test processes wait), empty at the start and end."""
    with LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        client = Redis.from_url(REDIS_URL)
        client.flushdb()
        try:
            yield client
        finally:
            client.flushdb()
            client.close()


@pytest.fixture
def redis_database() -> Iterator[Redis]:
    with exclusive_redis() as client:
        yield client


@pytest.fixture
def redis_tasks(settings: Any, redis_database: Redis) -> Iterator[RedisTaskBackend]:
    """The default task backend switched to Redis."""
    settings.TASKS = redis_settings()
    backend = task_backends["default"]
    assert isinstance(backend, RedisTaskBackend)
    # An RQ worker run in-process installs its own SIGINT/SIGTERM handlers; later tests get pytest's back.
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield backend
    for number, handler in handlers.items():
        signal.signal(number, handler)
