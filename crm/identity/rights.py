"""Role-level rights of an actor (what they may do at all, regardless of which record)."""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext as _

from crm.core.actors import Actor
from crm.core.errors import PermissionDenied
from crm.identity.models import Role, User


def user_of(actor: Actor) -> User | None:
    return cast("User | None", actor.user)


def role_of(actor: Actor) -> Role | None:
    user = user_of(actor)
    return user.role if user is not None else None


def _has(actor: Actor, flag: str) -> bool:
    # System actors (schedules, automation) act with full rights; their audit entries name them.
    if actor.is_system:
        return True
    user = user_of(actor)
    if user is None or not user.is_active:
        return False
    # Superusers exist for the operator who installed the CRM; they always keep the keys.
    if user.is_superuser:
        return True
    role = user.role
    return role is not None and bool(getattr(role, flag))


def can_manage_org(actor: Actor) -> bool:
    return _has(actor, "can_manage_org")


def can_export(actor: Actor) -> bool:
    return _has(actor, "can_export")


def can_view_audit(actor: Actor) -> bool:
    return _has(actor, "can_view_audit")


def require_org_admin(actor: Actor) -> None:
    if not can_manage_org(actor):
        raise PermissionDenied(_("Only administrators may change users, teams and roles."))
