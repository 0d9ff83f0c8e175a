"""Events the identity app publishes (after commit) for other apps to react to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserTeamChanged:
    """A user moved to another team; records they own must follow (visibility is by team)."""

    user_id: int
    team_id: int | None
