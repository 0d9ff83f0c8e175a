"""`crm worker` keeps its output to what an operator needs unless asked for more."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus

from crm.identity.tasks import prune_login_attempts


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_worker_does_not_log_each_task_run_by_default(caplog: pytest.LogCaptureFixture) -> None:
    # given a waiting job
    caplog.set_level(logging.DEBUG)
    result = prune_login_attempts.enqueue(older_than_days=30)
    # when the worker processes its queue at the default verbosity
    call_command("worker", "--batch")
    # then the job ran but nothing was logged about it
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert str(result.id) not in logged(caplog)


@pytest.mark.django_db(transaction=True)
def test_worker_logs_each_task_run_when_verbose(caplog: pytest.LogCaptureFixture) -> None:
    # given a quiet run earlier in the same process, then a waiting job
    caplog.set_level(logging.DEBUG)
    call_command("worker", "--batch")
    result = prune_login_attempts.enqueue(older_than_days=30)
    # when the worker runs with -v 2
    call_command("worker", "--batch", verbosity=2)
    # then the task's run is logged
    assert str(result.id) in logged(caplog)
