"""Fixtures shared by every app's tests: an org tree with one user per role and ownership case."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from crm.core.actors import Actor, api_actor, web_actor
from crm.identity.models import BuiltinRole, Role, Team, TeamKind, User

PASSWORD = "correct-horse-battery"  # noqa: S105  (test accounts only)


def make_team(name: str, parent: Team | None, kind: str = TeamKind.TEAM) -> Team:
    team = Team.objects.create(name=name, kind=kind, parent=parent)
    team.path = f"{parent.path if parent else ''}{team.pk:06d}/"
    team.save(update_fields=["path"])
    return team


def make_user(
    username: str, role: str, team: Team | None, *, manager: bool = False, full_name: str = "", **extra: object
) -> User:
    user = User(
        username=username,
        full_name=full_name or username,
        email=f"{username}@example.com",
        role=Role.objects.get(code=role),
        team=team,
        is_team_manager=manager,
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language (Chinese).

    A request through the test client activates its user's language in the test's own thread, and
    it would otherwise stay active for whichever test that worker runs next.
    """
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Argon2 is deliberately slow; tests hash many passwords, so they use a fast hasher.

    crm/identity/tests/test_passwords.py checks that the real configuration uses Argon2.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Org:
    """company → east (department) → east_a, east_b (teams); north (department) → north_a."""

    company: Team
    east: Team
    east_a: Team
    east_b: Team
    north_a: Team
    admin: User
    director: User
    east_manager: User
    east_a_manager: User
    rep_a1: User
    rep_a2: User
    rep_b1: User
    rep_n1: User
    finance: User

    def actor(self, user: User) -> Actor:
        return web_actor(user)

    def api(self, user: User) -> Actor:
        return api_actor(user)


def empty_and_restore_migrated_rows() -> None:
    """Empties every table, then puts back the rows the migrations made (roles, default pipeline, approval
    flows, settings, content types) with their ids, for the tests that run after on this process.

    For tests that commit outside a test transaction. Flushing without post_migrate and restoring the
    serialized copy works whatever an earlier transactional test left: Django's `serialized_rollback`
    instead collides with the content types such a test's flush re-created.
    """
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    connection.creation.deserialize_db_from_string(connection._test_serialized_contents)  # type: ignore[attr-defined]
    # The restored rows keep their ids; PostgreSQL's sequences must move past them.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(statement)


def ensure_builtin_roles() -> None:
    """Tests with `transaction=True` flush tables, taking the migration-seeded roles with them."""
    from django.apps import apps

    seed = importlib.import_module("crm.identity.migrations.0002_builtin_roles")
    seed.create_roles(apps, None)


@pytest.fixture
def org(db: None) -> Org:
    ensure_builtin_roles()
    company = make_team("星河科技", None, TeamKind.COMPANY)
    east = make_team("华东大区", company, TeamKind.DEPARTMENT)
    east_a = make_team("上海一组", east)
    east_b = make_team("杭州组", east)
    north = make_team("华北大区", company, TeamKind.DEPARTMENT)
    north_a = make_team("北京一组", north)
    return Org(
        company=company,
        east=east,
        east_a=east_a,
        east_b=east_b,
        north_a=north_a,
        admin=make_user("admin", BuiltinRole.ADMINISTRATOR, company, is_superuser=False),
        director=make_user("director", BuiltinRole.SALES_DIRECTOR, company, manager=True),
        east_manager=make_user("east_manager", BuiltinRole.SALES_MANAGER, east, manager=True),
        east_a_manager=make_user("east_a_manager", BuiltinRole.SALES_MANAGER, east_a, manager=True),
        rep_a1=make_user("rep_a1", BuiltinRole.SALES_REP, east_a, full_name="张伟"),
        rep_a2=make_user("rep_a2", BuiltinRole.SALES_REP, east_a, full_name="李娜"),
        rep_b1=make_user("rep_b1", BuiltinRole.SALES_REP, east_b, full_name="王芳"),
        rep_n1=make_user("rep_n1", BuiltinRole.SALES_REP, north_a, full_name="刘洋"),
        finance=make_user("finance", BuiltinRole.FINANCE, company),
    )


@pytest.fixture(params=["gathered", "walked"])
def list_plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test twice: once with every plan-hinted filter gathering its rows, once walking the sort
    index (crm.core.plan_hints.MANY_ROWS: nothing is "many", or everything is)."""
    monkeypatch.setattr("crm.core.plan_hints.MANY_ROWS", 1_000_000 if request.param == "gathered" else 0)
    return str(request.param)
