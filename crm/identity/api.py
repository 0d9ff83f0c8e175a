"""The signed-in user: `/api/v1/me`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from crm.api.schemas import ERRORS
from crm.identity.models import User

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    language: str
    team_id: int | None
    role: str | None


@router.get("", response={200: MeOut, **ERRORS}, operation_id="get_me")
def get_me(request: HttpRequest) -> dict[str, object]:
    """Who the token or session belongs to."""
    user: User = request.user  # type: ignore[assignment]
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "language": user.language,
        "team_id": user.team_id,
        "role": user.role.code if user.role else None,
    }
