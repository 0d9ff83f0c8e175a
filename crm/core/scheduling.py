"""Periodic jobs: which task runs how often, and the loop that enqueues them when due.

The schedule itself is project wiring (`config/schedule.py`); this module only knows how to
turn "every hour" into exactly one enqueued task per hour across any number of workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.db import IntegrityError, close_old_connections, transaction

from crm.core.clock import now
from crm.core.models import ScheduledSlot

log = logging.getLogger(__name__)
EPOCH = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday, so weekly slots start on Mondays (UTC)


@dataclass(frozen=True)
class PeriodicJob:
    """Run `task` (a dotted path to a django.tasks task) every `every`, offset by `at` into each period.

    `late_by` bounds how late a run may still start: a daily digest due at 08:00 is still worth sending
    at 09:00 after a restart, but not at 14:00 on a fresh install's first start. None means any time
    within the period (right for sweeps such as "flag stalled deals").
    """

    name: str
    task: str
    every: dt.timedelta
    at: dt.timedelta = dt.timedelta(0)
    kwargs: dict[str, Any] = field(default_factory=dict)
    late_by: dt.timedelta | None = None

    def slot(self, moment: dt.datetime) -> dt.datetime:
        """The start of the latest period that has fallen due at `moment`."""
        periods = (moment - EPOCH - self.at) // self.every
        return EPOCH + self.at + periods * self.every

    def missed(self, moment: dt.datetime) -> bool:
        """Whether the current period's run would now start too late to be useful."""
        return self.late_by is not None and moment - self.slot(moment) > self.late_by


def resolve_task(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def enqueue_due(jobs: Sequence[PeriodicJob], *, moment: dt.datetime | None = None) -> list[str]:
    """Enqueue each job whose current slot has not been claimed yet; returns the names enqueued."""
    moment = moment or now()
    started: list[str] = []
    for job in jobs:
        if job.missed(moment):
            continue  # left unclaimed: the next period runs as usual
        slot = job.slot(moment)
        try:
            with transaction.atomic():
                ScheduledSlot.objects.create(job=job.name, slot=slot)
                resolve_task(job.task).enqueue(**job.kwargs)
        except IntegrityError:
            continue  # another scheduler (or an earlier pass) already claimed this slot
        started.append(job.name)
    return started


def prune_slots(*, keep_days: int = 30) -> int:
    deleted, _ = ScheduledSlot.objects.filter(slot__lt=now() - dt.timedelta(days=keep_days)).delete()
    return deleted


class Scheduler(threading.Thread):
    """A daemon thread inside `crm worker` that enqueues due jobs every `tick` seconds."""

    def __init__(self, jobs: Sequence[PeriodicJob], *, tick: float = 30.0) -> None:
        super().__init__(name="crm-scheduler", daemon=True)
        self.jobs = list(jobs)
        self.tick = tick
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            close_old_connections()
            try:
                for name in enqueue_due(self.jobs):
                    # Minute-level jobs would flood the log at INFO; the task results table records every run.
                    log.debug("scheduled job %s enqueued", name)
            except Exception:  # a database hiccup must not kill the scheduler; retry next tick
                log.exception("scheduler pass failed")
            finally:
                close_old_connections()
            self.stopped.wait(self.tick)

    def stop(self) -> None:
        self.stopped.set()
