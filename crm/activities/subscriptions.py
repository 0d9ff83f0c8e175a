"""What the activities app does when other apps publish events: enqueue its own tasks."""

from __future__ import annotations

from crm.activities.tasks import move_tasks_to_owner_team, move_tasks_with_customers, refresh_last_follow_ups
from crm.core.events import subscribe
from crm.customers.events import CustomerFollowUpsMoved, CustomersHandedOver
from crm.identity.events import UserTeamChanged


def _on_customers_handed_over(event: CustomersHandedOver) -> None:
    move_tasks_with_customers.enqueue(customer_ids=list(event.customer_ids), owner_id=event.owner_id)


def _on_user_team_changed(event: UserTeamChanged) -> None:
    move_tasks_to_owner_team.enqueue(user_id=event.user_id)


def _on_customer_follow_ups_moved(event: CustomerFollowUpsMoved) -> None:
    refresh_last_follow_ups.enqueue(customer_ids=list(event.customer_ids))


def register() -> None:
    subscribe(CustomersHandedOver, _on_customers_handed_over)
    subscribe(CustomerFollowUpsMoved, _on_customer_follow_ups_moved)
    subscribe(UserTeamChanged, _on_user_team_changed)
