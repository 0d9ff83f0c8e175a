import datetime as dt

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus

from crm.identity.models import LoginAttempt
from crm.identity.tasks import prune_login_attempts


@pytest.mark.django_db(transaction=True)
def test_worker_runs_enqueued_prune_job_once() -> None:
    # given an old and a recent sign-in attempt
    old = LoginAttempt.objects.create(username="zhang", succeeded=False)
    LoginAttempt.objects.filter(pk=old.pk).update(created_at=old.created_at - dt.timedelta(days=45))
    recent = LoginAttempt.objects.create(username="li", succeeded=True)

    # when the job is enqueued and the database worker processes its queue
    result = prune_login_attempts.enqueue(older_than_days=30)
    call_command("worker", "--batch")

    # then only the old attempt is gone and the job finished successfully
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert list(LoginAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
