"""The record visibility rule: one Scope per actor yields both the SQL filter and the
per-record answer, so a list and a detail page can never disagree.

Every owned record stores `owner_id` and its owner's `team_id`; "team and sub-teams" is one
indexed `team_id IN (…)` thanks to the materialised team path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.core.actors import Actor
from crm.core.errors import NotFound, PermissionDenied
from crm.identity.models import Team, Visibility
from crm.identity.rights import user_of


@dataclass(frozen=True)
class Scope:
    """The records an actor may see: everything, or their own plus those of some teams."""

    sees_all: bool
    user_id: int | None
    team_ids: frozenset[int]

    def q(self, owner_field: str = "owner", team_field: str = "team") -> Q:
        """The SQL condition; `owner_field`/`team_field` may follow relations (`customer__owner`)."""
        if self.sees_all:
            return Q()
        condition = Q(**{f"{owner_field}_id": self.user_id}) if self.user_id else Q(pk__in=[])
        if self.team_ids:
            condition |= Q(**{f"{team_field}_id__in": sorted(self.team_ids)})
        return condition

    def allows(self, owner_id: int | None, team_id: int | None) -> bool:
        """The same condition for one record already in memory."""
        if self.sees_all:
            return True
        if self.user_id is not None and owner_id == self.user_id:
            return True
        return team_id is not None and team_id in self.team_ids


NOTHING = Scope(sees_all=False, user_id=None, team_ids=frozenset())


def _subtree(team_id: int) -> frozenset[int]:
    team = Team.objects.filter(pk=team_id).only("path").first()
    if team is None:
        return frozenset()
    return frozenset(Team.objects.filter(path__startswith=team.path).values_list("pk", flat=True))


def scope_of(actor: Actor) -> Scope:
    """What `actor` may see, computed once per request and cached on the user object."""
    if actor.is_system:
        return Scope(sees_all=True, user_id=None, team_ids=frozenset())
    user = user_of(actor)
    if user is None or not user.is_active:
        return NOTHING
    cached: Scope | None = getattr(user, "_crm_scope", None)
    if cached is not None:
        return cached
    role = user.role
    if user.is_superuser or (role is not None and role.visibility == Visibility.ALL):
        scope = Scope(sees_all=True, user_id=user.pk, team_ids=frozenset())
    elif role is None or role.visibility == Visibility.OWN or user.team_id is None:
        scope = Scope(sees_all=False, user_id=user.pk, team_ids=frozenset())
    elif role.visibility == Visibility.TEAM:
        scope = Scope(sees_all=False, user_id=user.pk, team_ids=frozenset({user.team_id}))
    else:
        scope = Scope(sees_all=False, user_id=user.pk, team_ids=_subtree(user.team_id))
    user._crm_scope = scope  # type: ignore[attr-defined]
    return scope


def visible[M: models.Model](
    viewer: Actor, queryset: models.QuerySet[M], *, owner_field: str = "owner", team_field: str = "team"
) -> models.QuerySet[M]:
    """`queryset` narrowed to the rows `viewer` may see."""
    return queryset.filter(scope_of(viewer).q(owner_field, team_field))


def can_see(viewer: Actor, *, owner_id: int | None, team_id: int | None) -> bool:
    return scope_of(viewer).allows(owner_id, team_id)


def _managed_team_ids(actor: Actor) -> frozenset[int]:
    user = user_of(actor)
    if user is None or not user.is_team_manager or user.team_id is None:
        return frozenset()
    return _subtree(user.team_id)


def can_change(actor: Actor, record: Any) -> bool:
    """May `actor` edit or delete this visible record?

    Owners edit their own records; team managers edit their teams' records; roles marked
    "may edit every record they can see" edit whatever they see.
    """
    if actor.is_system:
        return True
    user = user_of(actor)
    if user is None or not user.is_active:
        return False
    owner_id, team_id = record.owner_id, record.team_id
    if not can_see(actor, owner_id=owner_id, team_id=team_id):
        return False
    if user.is_superuser or owner_id == user.pk:
        return True
    if user.role is not None and user.role.can_edit_visible:
        return True
    return team_id is not None and team_id in _managed_team_ids(actor)


def require_change(actor: Actor, record: Any) -> None:
    if not can_change(actor, record):
        raise PermissionDenied(_("You may view this record but not change it."))


def require_visible[R](viewer: Actor, record: R | None) -> R:
    """The record if `viewer` may see it; otherwise the same answer as a missing record."""
    if record is None or not can_see(viewer, owner_id=record.owner_id, team_id=record.team_id):  # type: ignore[attr-defined]
        raise NotFound(_("This record does not exist or you may not see it."))
    return record


def masks_contact_info(viewer: Actor, *, owner_id: int | None) -> bool:
    """Whether phone numbers and emails of a record are shown masked to `viewer`."""
    if viewer.is_system:
        return False
    user = user_of(viewer)
    if user is None:
        return True
    if user.is_superuser or owner_id == user.pk:
        return False
    return user.role is None or user.role.masks_contact_info
