"""What the customers app does when other apps publish events: enqueue its own tasks."""

from __future__ import annotations

from crm.core.events import subscribe
from crm.customers.tasks import move_records_to_owner_team
from crm.identity.events import UserTeamChanged


def _on_user_team_changed(event: UserTeamChanged) -> None:
    move_records_to_owner_team.enqueue(user_id=event.user_id)


def register() -> None:
    subscribe(UserTeamChanged, _on_user_team_changed)
