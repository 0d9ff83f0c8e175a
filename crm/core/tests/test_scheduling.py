"""Periodic jobs are enqueued once per period, however many schedulers run."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from config.schedule import SCHEDULE
from crm.core.models import ScheduledSlot
from crm.core.scheduling import PeriodicJob, enqueue_due, prune_slots

HOURLY = PeriodicJob(name="prune", task="crm.identity.tasks.prune_login_attempts", every=dt.timedelta(hours=1))
NIGHTLY = PeriodicJob(
    name="nightly",
    task="crm.core.tasks.prune_scheduled_slots",
    every=dt.timedelta(days=1),
    at=dt.timedelta(hours=19),
)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_slot_is_the_start_of_the_period_that_fell_due() -> None:
    assert HOURLY.slot(at("2026-11-24 10:59:59")) == at("2026-11-24 10:00:00")
    assert HOURLY.slot(at("2026-11-24 11:00:00")) == at("2026-11-24 11:00:00")
    # the nightly job runs at 19:00 UTC, so before 19:00 yesterday's slot is the current one
    assert NIGHTLY.slot(at("2026-11-24 18:59:00")) == at("2026-11-23 19:00:00")
    assert NIGHTLY.slot(at("2026-11-24 19:00:00")) == at("2026-11-24 19:00:00")


@pytest.mark.django_db
def test_a_job_is_enqueued_once_per_slot_however_often_schedulers_pass() -> None:
    # given two schedulers passing within the same hour
    first = enqueue_due([HOURLY], moment=at("2026-11-24 10:05:00"))
    second = enqueue_due([HOURLY], moment=at("2026-11-24 10:35:00"))
    # when the next hour begins
    third = enqueue_due([HOURLY], moment=at("2026-11-24 11:00:01"))
    # then the task was enqueued once for each hour
    assert (first, second, third) == (["prune"], [], ["prune"])
    assert DBTaskResult.objects.filter(task_path="crm.identity.tasks.prune_login_attempts").count() == 2
    assert list(ScheduledSlot.objects.order_by("slot").values_list("slot", flat=True)) == [
        at("2026-11-24 10:00:00"),
        at("2026-11-24 11:00:00"),
    ]


@pytest.mark.django_db
def test_old_slots_are_pruned_and_recent_ones_kept() -> None:
    ScheduledSlot.objects.create(job="prune", slot=at("2020-01-01 00:00:00"))
    enqueue_due([HOURLY])
    assert prune_slots(keep_days=30) == 1
    assert ScheduledSlot.objects.count() == 1


def test_every_scheduled_task_exists_and_names_are_unique() -> None:
    from crm.core.scheduling import resolve_task

    assert len({job.name for job in SCHEDULE}) == len(SCHEDULE)
    for job in SCHEDULE:
        assert callable(resolve_task(job.task).enqueue)


@pytest.mark.django_db
def test_a_run_later_than_its_window_is_skipped_until_the_next_period() -> None:
    # given a morning job that may start at most two hours late
    digest = PeriodicJob(
        name="digest",
        task="crm.core.tasks.prune_scheduled_slots",
        every=dt.timedelta(days=1),
        late_by=dt.timedelta(hours=2),
    )
    # when schedulers first pass in the afternoon, then within the window the next morning
    afternoon = enqueue_due([digest], moment=at("2026-11-24 06:00:00"))
    next_morning = enqueue_due([digest], moment=at("2026-11-25 01:30:00"))
    # then only the morning pass enqueues it, and the skipped day left no claimed slot behind
    assert afternoon == []
    assert next_morning == ["digest"]
    claimed = ScheduledSlot.objects.filter(job="digest").values_list("slot", flat=True)
    assert list(claimed) == [at("2026-11-25 00:00:00")]
