"""Every write to users, teams, roles, tokens and sign-in records."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, NotFound, ValidationFailed
from crm.core.events import publish_on_commit
from crm.core.phone import normalize_phone
from crm.identity.events import UserTeamChanged
from crm.identity.models import ApiToken, LoginAttempt, Role, Team, TeamKind, User, Visibility
from crm.identity.rights import require_org_admin, user_of

TOKEN_PREFIX = "crm_"  # noqa: S105  (a public prefix, not a secret)
USER_FIELDS = ["username", "full_name", "email", "mobile", "team", "is_team_manager", "role", "language"]
ROLE_FIELDS = [
    "name",
    "visibility",
    "masks_contact_info",
    "can_export",
    "can_manage_org",
    "can_view_audit",
    "can_edit_visible",
]


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


# Teams ------------------------------------------------------------------------------------


def _team_path(team: Team) -> str:
    parent_path = team.parent.path if team.parent_id and team.parent else ""
    return f"{parent_path}{team.pk:06d}/"


def team_create(*, actor: Actor, name: str, kind: str = TeamKind.TEAM, parent_id: int | None = None) -> Team:
    """Add a node to the org tree under `parent_id` (a root when None)."""
    require_org_admin(actor)
    name = name.strip()
    if not name:
        raise _invalid("name", _("Enter a team name."))
    with transaction.atomic():
        parent = _team_get(parent_id) if parent_id else None
        if Team.objects.filter(parent=parent, name=name).exists():
            raise _invalid("name", _("A team with this name already exists here."))
        team = Team.objects.create(name=name, kind=kind, parent=parent)
        team.path = _team_path(team)
        team.save(update_fields=["path"])
        audit_record(actor=actor, verb=Verb.CREATE, target=team, changes={"name": [None, name]})
    return team


def team_update(*, actor: Actor, team_id: int, name: str, kind: str, parent_id: int | None) -> Team:
    """Rename or move a team; moving re-paths its whole subtree in one UPDATE."""
    require_org_admin(actor)
    name = name.strip()
    if not name:
        raise _invalid("name", _("Enter a team name."))
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=_team_get(team_id).pk)
        before = snapshot(team, ["name", "kind", "parent"])
        parent = _team_get(parent_id) if parent_id else None
        if parent is not None and parent.path.startswith(team.path):
            raise _invalid("parent", _("A team cannot be moved under itself or its own sub-team."))
        old_path = team.path
        team.name, team.kind, team.parent = name, kind, parent
        team.path = _team_path(team)
        team.updated_at = clock.now()
        team.save()
        if team.path != old_path:
            Team.objects.filter(path__startswith=old_path).exclude(pk=team.pk).update(
                path=Concat(Value(team.path), Substr("path", len(old_path) + 1))
            )
        changes = diff(before, snapshot(team, ["name", "kind", "parent"]))
        if changes:
            audit_record(actor=actor, verb=Verb.UPDATE, target=team, changes=changes)
    return team


def _team_get(team_id: int) -> Team:
    try:
        return Team.objects.get(pk=team_id)
    except Team.DoesNotExist as exc:
        raise _invalid("team", _("This team does not exist.")) from exc


# Roles ------------------------------------------------------------------------------------


def role_update(*, actor: Actor, role_id: int, **values: Any) -> Role:
    """Change what a role may see and do; takes effect on the users' next request."""
    require_org_admin(actor)
    unknown = set(values) - set(ROLE_FIELDS)
    if unknown:
        raise ValueError(f"not role fields: {sorted(unknown)}")
    if "visibility" in values and values["visibility"] not in Visibility.values:
        raise _invalid("visibility", _("Choose a valid visibility."))
    with transaction.atomic():
        try:
            role = Role.objects.select_for_update().get(pk=role_id)
        except Role.DoesNotExist as exc:
            raise NotFound(_("This role does not exist.")) from exc
        before = snapshot(role, ROLE_FIELDS)
        for key, value in values.items():
            setattr(role, key, value)
        if not role.name.strip():
            raise _invalid("name", _("Enter a role name."))
        role.updated_at = clock.now()
        role.save()
        changes = diff(before, snapshot(role, ROLE_FIELDS))
        if changes:
            audit_record(actor=actor, verb=Verb.UPDATE, target=role, changes=changes)
    return role


# Users ------------------------------------------------------------------------------------


def _clean_user_values(values: dict[str, Any], *, exclude_pk: int | None) -> dict[str, Any]:
    cleaned = dict(values)
    if "username" in cleaned:
        cleaned["username"] = str(cleaned["username"]).strip()
        if not cleaned["username"]:
            raise _invalid("username", _("Enter a username."))
        if User.objects.filter(username__iexact=cleaned["username"]).exclude(pk=exclude_pk or 0).exists():
            raise _invalid("username", _("This username is already taken."))
    if cleaned.get("email"):
        email = str(cleaned["email"]).strip().lower()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise _invalid("email", _("Enter a valid email address.")) from exc
        if User.objects.filter(email__iexact=email).exclude(pk=exclude_pk or 0).exists():
            raise _invalid("email", _("Another user already has this email address."))
        cleaned["email"] = email
    if cleaned.get("mobile"):
        cleaned["mobile"] = normalize_phone(str(cleaned["mobile"]), field="mobile")
    if cleaned.get("language") and cleaned["language"] not in User.Language.values:
        raise _invalid("language", _("Choose a supported language."))
    return cleaned


def _validate_password(password: str, user: User | None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        raise _invalid("password", message) from exc


def user_create(*, actor: Actor, password: str, **values: Any) -> User:
    """Create a user who can sign in with `password` (validated by the password rules)."""
    require_org_admin(actor)
    cleaned = _clean_user_values(values, exclude_pk=None)
    with transaction.atomic():
        user = User(**cleaned)
        _validate_password(password, user)
        user.set_password(password)
        user.save()
        audit_record(actor=actor, verb=Verb.CREATE, target=user, changes=diff({}, snapshot(user, USER_FIELDS)))
    return user


def user_update(*, actor: Actor, user_id: int, **values: Any) -> User:
    require_org_admin(actor)
    cleaned = _clean_user_values(values, exclude_pk=user_id)
    with transaction.atomic():
        user = _user_get_for_update(user_id)
        before = snapshot(user, USER_FIELDS)
        for key, value in cleaned.items():
            setattr(user, key, value)
        user.save()
        changes = diff(before, snapshot(user, USER_FIELDS))
        if changes:
            audit_record(actor=actor, verb=Verb.UPDATE, target=user, changes=changes)
        if "team" in changes:
            publish_on_commit(UserTeamChanged(user_id=user.pk, team_id=user.team_id))
    return user


def user_set_active(*, actor: Actor, user_id: int, is_active: bool) -> User:
    """Deactivate (or reactivate) a user. Their records, history and ownership stay untouched."""
    require_org_admin(actor)
    if not is_active and actor.user_id == user_id:
        raise _invalid("is_active", _("You cannot deactivate your own account."))
    with transaction.atomic():
        user = _user_get_for_update(user_id)
        if user.is_active != is_active:
            user.is_active = is_active
            user.save(update_fields=["is_active"])
            if not is_active:
                ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
            verb = Verb.ACTIVATE if is_active else Verb.DEACTIVATE
            audit_record(actor=actor, verb=verb, target=user, changes={"is_active": [not is_active, is_active]})
    return user


def user_set_password(*, actor: Actor, user_id: int, password: str) -> User:
    """An administrator sets another user's password."""
    require_org_admin(actor)
    with transaction.atomic():
        user = _user_get_for_update(user_id)
        _validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, verb=Verb.PASSWORD_CHANGE, target=user)
    return user


def password_change(*, actor: Actor, old_password: str, new_password: str) -> User:
    """A user changes their own password after proving the current one."""
    user = user_of(actor)
    if user is None:
        raise _invalid("old_password", _("Sign in first."))
    if not user.check_password(old_password):
        raise _invalid("old_password", _("Your current password is not correct."))
    _validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, verb=Verb.PASSWORD_CHANGE, target=user)
    return user


def language_set(*, actor: Actor, language: str) -> None:
    """Remember the UI language the user chose."""
    user = user_of(actor)
    if language not in User.Language.values:
        raise _invalid("language", _("Choose a supported language."))
    if user is not None and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def preference_set(*, actor: Actor, key: str, value: Any) -> None:
    """Store one per-user preference (e.g. the columns shown in a list)."""
    user = user_of(actor)
    if user is None:
        return
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        preferences = dict(locked.preferences or {})
        preferences[key] = value
        User.objects.filter(pk=user.pk).update(preferences=preferences)
    user.preferences = preferences


def _user_get_for_update(user_id: int) -> User:
    try:
        return User.objects.select_for_update().get(pk=user_id)
    except User.DoesNotExist as exc:
        raise NotFound(_("This user does not exist.")) from exc


# Sign-in ----------------------------------------------------------------------------------


def login_record(*, actor: Actor, username: str, ip_address: str | None, succeeded: bool) -> None:
    """Remember a sign-in attempt (for throttling) and write it to the audit log."""
    with transaction.atomic():
        LoginAttempt.objects.create(username=username.lower()[:254], ip_address=ip_address, succeeded=succeeded)
        user = user_of(actor)
        audit_record(
            actor=actor,
            verb=Verb.LOGIN if succeeded else Verb.LOGIN_FAILED,
            target=user,
            target_type="identity.user",
            changes={"username": username[:150]},
            ip_address=ip_address,
        )


# API tokens -------------------------------------------------------------------------------


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, actor: Actor, name: str) -> tuple[ApiToken, str]:
    """Issue a personal API token; the returned secret is never stored or shown again."""
    user = user_of(actor)
    if user is None:
        raise _invalid("name", _("Sign in first."))
    name = name.strip()
    if not name:
        raise _invalid("name", _("Give the token a name, e.g. the system that will use it."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=secret[:12], key_hash=hash_token(secret))
        audit_record(actor=actor, verb=Verb.TOKEN_CREATE, target=token, changes={"name": [None, token.name]})
    return token, secret


def token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; it stops working at once."""
    user = user_of(actor)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user_id=user.pk if user else 0).first()
        if token is None:
            raise NotFound(_("This token does not exist."))
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
            audit_record(actor=actor, verb=Verb.TOKEN_REVOKE, target=token)
    return token


def token_touch(*, token: ApiToken) -> None:
    """Note when a token was last used, at most once a minute to spare the database."""
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def login_attempts_prune(*, actor: Actor, older_than_days: int = 30) -> int:
    """Forget sign-in attempts older than the throttling and investigation window."""
    if not actor.is_system:
        require_org_admin(actor)
    cutoff = clock.now() - dt.timedelta(days=older_than_days)
    deleted, _rows = LoginAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def role_create(*, actor: Actor, code: str, name: str, **values: Any) -> Role:
    """Add a custom role (e.g. 渠道经理) alongside the built-in ones."""
    require_org_admin(actor)
    code = code.strip().lower()
    name = name.strip()
    errors = []
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,49}", code):
        errors.append(FieldError(field="code", message=_("Use 2–50 lower-case letters, digits or underscores.")))
    elif Role.objects.filter(code=code).exists():
        errors.append(FieldError(field="code", message=_("A role with this code already exists.")))
    if not name:
        errors.append(FieldError(field="name", message=_("Enter a role name.")))
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors=errors)
    unknown = set(values) - set(ROLE_FIELDS)
    if unknown:
        raise ValueError(f"not role fields: {sorted(unknown)}")
    if values.get("visibility", Visibility.OWN) not in Visibility.values:
        raise _invalid("visibility", _("Choose a valid visibility."))
    with transaction.atomic():
        role = Role.objects.create(code=code, name=name, **values)
        audit_record(actor=actor, verb=Verb.CREATE, target=role, changes=diff({}, snapshot(role, ROLE_FIELDS)))
    return role
