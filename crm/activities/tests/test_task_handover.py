"""Open tasks follow their customer to a new owner, and their owner to a new team, via the worker."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from conftest import Org
from crm.activities.models import Task, TaskStatus
from crm.activities.services import task_complete, task_create
from crm.audit.models import AuditEntry
from crm.customers.services import customer_update
from crm.customers.tests.factories import a_customer
from crm.identity.services import user_update


@pytest.mark.django_db(transaction=True)
def test_open_tasks_about_a_customer_follow_it_to_its_new_owner(org: Org) -> None:
    # given rep_a1's customer with an open and a finished task, and an unrelated task
    customer = a_customer(org.rep_a1, name="厦门美图之家科技有限公司")
    actor = org.actor(org.rep_a1)
    open_task = task_create(
        actor=actor, values={"title": "约见CTO", "due_on": "2030-01-05", "customer_id": customer.pk}
    )
    finished = task_create(actor=actor, values={"title": "寄资料", "due_on": "2030-01-02", "customer_id": customer.pk})
    task_complete(actor=actor, task_id=finished.pk)
    own = task_create(actor=actor, values={"title": "写周报", "due_on": "2030-01-03"})

    # when the manager hands the customer to rep_a2 and the worker runs
    customer_update(
        actor=org.actor(org.east_a_manager),
        customer_id=customer.pk,
        version=customer.version,
        values={"owner_id": org.rep_a2.pk},
    )
    call_command("worker", "--batch")

    # then only the open task about that customer moved, audited
    owners = dict(Task.objects.values_list("title", "owner_id"))
    assert owners == {"约见CTO": org.rep_a2.pk, "寄资料": org.rep_a1.pk, "写周报": org.rep_a1.pk}
    assert Task.objects.get(pk=finished.pk).status == TaskStatus.DONE
    moved = AuditEntry.objects.filter(target_type="activities.task", target_id=open_task.pk).order_by("-id").first()
    assert moved is not None
    assert moved.changes == {"owner": [org.rep_a1.pk, org.rep_a2.pk]}
    assert own.owner_id == org.rep_a1.pk


@pytest.mark.django_db(transaction=True)
def test_tasks_follow_their_owner_to_a_new_team(org: Org) -> None:
    task = task_create(actor=org.actor(org.rep_a1), values={"title": "整理线索", "due_on": "2030-01-05"})
    user_update(actor=org.actor(org.admin), user_id=org.rep_a1.pk, team=org.north_a)
    call_command("worker", "--batch")
    assert Task.objects.get(pk=task.pk).team_id == org.north_a.pk
