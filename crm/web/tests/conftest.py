"""Fixtures for this package's tests."""

from crm.core.tests.redis_queue import redis_database, redis_tasks

__all__ = ["redis_database", "redis_tasks"]
