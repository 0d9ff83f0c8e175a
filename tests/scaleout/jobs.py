"""The slow job the scale-out test kills a worker in the middle of.

Its effect is one row keyed by the task result's id, written in one transaction that also makes a
second run a no-op: the at-least-once delivery of the Redis backend plus this key give the effect
exactly once. Each attempt is logged too (outside that transaction), so the test can see that the
job really ran twice.
"""

from __future__ import annotations

import os
import time
from typing import Any

from django.db import connection, transaction
from django.tasks import TaskContext, task

TABLES = (
    "CREATE TABLE scaleout_attempt (id serial PRIMARY KEY, result_id text NOT NULL, pid integer NOT NULL)",
    "CREATE TABLE scaleout_effect (result_id text PRIMARY KEY, pid integer NOT NULL)",
)


@task(takes_context=True)
def record_effect_then_linger(context: TaskContext[..., Any], *, linger: float) -> dict[str, Any]:
    result_id = context.task_result.id
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO scaleout_attempt (result_id, pid) VALUES (%s, %s)", [result_id, os.getpid()])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scaleout_effect (result_id, pid) VALUES (%s, %s) ON CONFLICT (result_id) DO NOTHING",
            [result_id, os.getpid()],
        )
        inserted = cursor.rowcount == 1
    # Work after the effect: a worker killed now has done the effect but not finished the job.
    time.sleep(linger)
    return {"inserted": inserted, "pid": os.getpid()}
