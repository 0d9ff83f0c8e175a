"""Reads of users, teams, roles and tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Subquery

from crm.core import clock
from crm.identity.models import ApiToken, LoginAttempt, Role, Team, User


def team_list() -> QuerySet[Team]:
    """All teams in tree order (parents before children)."""
    return Team.objects.annotate(member_count=Count("members", filter=Q(members__is_active=True))).order_by("path")


def team_subtree_ids(team_id: int) -> list[int]:
    """The team and every team below it (none for an unknown team), in one query: a board asks once per column."""
    path = Team.objects.filter(pk=team_id).values("path")[:1]
    return list(Team.objects.filter(path__startswith=Subquery(path)).values_list("pk", flat=True))


def role_list() -> QuerySet[Role]:
    return Role.objects.annotate(user_count=Count("users")).order_by("id")


def user_list(*, include_inactive: bool = True, query: str = "", team_id: int | None = None) -> QuerySet[User]:
    users = User.objects.select_related("team", "role").order_by("username")
    if not include_inactive:
        users = users.filter(is_active=True)
    if query:
        users = users.filter(Q(username__icontains=query) | Q(full_name__icontains=query) | Q(email__icontains=query))
    if team_id:
        users = users.filter(team_id__in=team_subtree_ids(team_id))
    return users


def user_get(*, user_id: int) -> User | None:
    return User.objects.select_related("team", "role").filter(pk=user_id).first()


def user_names(user_ids: set[int]) -> dict[int, str]:
    return {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids).only("username", "full_name")}


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_find(*, token_hash: str) -> ApiToken | None:
    """The live token with this hash, with its active user, or None."""
    return (
        ApiToken.objects.select_related("user", "user__role", "user__team")
        .filter(key_hash=token_hash, revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def login_is_throttled(*, username: str, ip_address: str | None) -> bool:
    """Too many recent failures for this username (from any address) or from this address."""
    window_start = clock.now() - dt.timedelta(minutes=settings.CRM_LOGIN_FAILURE_WINDOW_MINUTES)
    limit = settings.CRM_LOGIN_FAILURE_LIMIT
    recent = LoginAttempt.objects.filter(created_at__gte=window_start, succeeded=False)
    if recent.filter(username=username.lower()).count() >= limit:
        return True
    return ip_address is not None and recent.filter(ip_address=ip_address).count() >= limit * 4


def team_get(*, team_id: int) -> Team | None:
    return Team.objects.select_related("parent").filter(pk=team_id).first()


def role_get(*, role_id: int) -> Role | None:
    return Role.objects.filter(pk=role_id).first()
