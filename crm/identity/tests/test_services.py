import datetime as dt
import hashlib

import pytest
import time_machine
from django.conf import settings

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.core.actors import system_actor
from crm.core.errors import NotFound, PermissionDenied, ValidationFailed
from crm.identity.models import ApiToken, BuiltinRole, Role, Team, TeamKind, User
from crm.identity.selectors import login_is_throttled, token_find
from crm.identity.services import (
    hash_token,
    language_set,
    login_record,
    preference_set,
    team_create,
    team_update,
    token_create,
    token_revoke,
    user_create,
    user_set_active,
    user_update,
)

NEW_PASSWORD = "Lan-cang-river-42"


def _rep_role() -> Role:
    return Role.objects.get(code=BuiltinRole.SALES_REP)


def test_user_create_stores_a_user_who_can_sign_in(org: Org) -> None:
    # given an administrator
    # when they add a rep
    user = user_create(
        actor=org.actor(org.admin),
        password=NEW_PASSWORD,
        username="zhao.lei",
        full_name="赵磊",
        email="Zhao.Lei@Example.com",
        mobile="139 8765 4321",
        team=org.east_a,
        role=_rep_role(),
    )

    # then the user is stored clean, their password works, and the creation is audited
    user.refresh_from_db()
    assert (user.username, user.full_name, user.email, user.mobile) == (
        "zhao.lei",
        "赵磊",
        "zhao.lei@example.com",
        "+8613987654321",
    )
    assert (user.team_id, user.role_id, user.is_active) == (org.east_a.pk, _rep_role().pk, True)
    assert user.check_password(NEW_PASSWORD) is True
    entry = AuditEntry.objects.get(target_type="identity.user", target_id=user.pk)
    assert (entry.verb, entry.actor_id) == (Verb.CREATE, org.admin.pk)


@pytest.mark.parametrize("password", ["short", "12345678901", "password123", "zhao.lei2025"])
def test_user_create_refuses_a_weak_password(org: Org, password: str) -> None:
    # given a password that is too short, numeric, common or like the username
    # when a user is created with it
    with pytest.raises(ValidationFailed) as caught:
        user_create(actor=org.actor(org.admin), password=password, username="zhao.lei2025", role=_rep_role())

    # then the password field is refused and no user is stored
    assert [error.field for error in caught.value.errors] == ["password"]
    assert User.objects.filter(username="zhao.lei2025").exists() is False


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"username": "REP_A1"}, "username"),
        ({"username": "  "}, "username"),
        ({"username": "zhao.lei", "email": "rep_a1@EXAMPLE.com"}, "email"),
        ({"username": "zhao.lei", "email": "not-an-email"}, "email"),
        ({"username": "zhao.lei", "mobile": "12345"}, "mobile"),
        ({"username": "zhao.lei", "language": "fr"}, "language"),
    ],
)
def test_user_create_refuses_taken_or_malformed_values(org: Org, values: dict[str, str], field: str) -> None:
    # given a taken username or email (in any case) or a malformed value
    # when a user is created with it
    with pytest.raises(ValidationFailed) as caught:
        user_create(actor=org.actor(org.admin), password=NEW_PASSWORD, role=_rep_role(), **values)

    # then that field is named and no user is added
    assert [error.field for error in caught.value.errors] == [field]
    assert User.objects.count() == 9


@pytest.mark.parametrize("who", ["director", "east_manager", "rep_a1", "finance"])
def test_only_administrators_manage_users_and_teams(org: Org, who: str) -> None:
    # given someone whose role may not administer the organisation
    actor = org.actor(getattr(org, who))

    # when they try to add a user, change one, or add a team
    # then each is refused
    with pytest.raises(PermissionDenied):
        user_create(actor=actor, password=NEW_PASSWORD, username="zhao.lei", role=_rep_role())
    with pytest.raises(PermissionDenied):
        user_update(actor=actor, user_id=org.rep_a2.pk, full_name="改名")
    with pytest.raises(PermissionDenied):
        user_set_active(actor=actor, user_id=org.rep_a2.pk, is_active=False)
    with pytest.raises(PermissionDenied):
        team_create(actor=actor, name="深圳组", parent_id=org.east.pk)
    assert User.objects.get(pk=org.rep_a2.pk).full_name == "李娜"


def test_deactivating_a_user_revokes_their_tokens(org: Org) -> None:
    # given a rep with an API token
    _token, secret = token_create(actor=org.api(org.rep_a2), name="ERP 同步")

    # when the administrator deactivates them
    user_set_active(actor=org.actor(org.admin), user_id=org.rep_a2.pk, is_active=False)

    # then they are inactive, the token no longer works, and the step is audited
    assert User.objects.get(pk=org.rep_a2.pk).is_active is False
    assert ApiToken.objects.get(user=org.rep_a2).revoked_at is not None
    assert token_find(token_hash=hash_token(secret)) is None
    entry = AuditEntry.objects.get(verb=Verb.DEACTIVATE)
    assert (entry.target_id, entry.changes) == (org.rep_a2.pk, {"is_active": [True, False]})


def test_reactivating_a_user_lets_them_back_in_without_reviving_old_tokens(org: Org) -> None:
    # given a deactivated rep whose token was revoked
    _token, secret = token_create(actor=org.api(org.rep_a2), name="ERP 同步")
    user_set_active(actor=org.actor(org.admin), user_id=org.rep_a2.pk, is_active=False)

    # when they are reactivated
    user_set_active(actor=org.actor(org.admin), user_id=org.rep_a2.pk, is_active=True)

    # then they are active and the old token stays dead
    assert User.objects.get(pk=org.rep_a2.pk).is_active is True
    assert token_find(token_hash=hash_token(secret)) is None
    assert AuditEntry.objects.filter(verb=Verb.ACTIVATE, target_id=org.rep_a2.pk).count() == 1


def test_an_administrator_cannot_deactivate_themselves(org: Org) -> None:
    # given an administrator
    # when they try to deactivate their own account
    with pytest.raises(ValidationFailed) as caught:
        user_set_active(actor=org.actor(org.admin), user_id=org.admin.pk, is_active=False)

    # then it is refused and they stay active
    assert [error.field for error in caught.value.errors] == ["is_active"]
    assert User.objects.get(pk=org.admin.pk).is_active is True


def test_user_set_active_answers_not_found_for_an_unknown_user(org: Org) -> None:
    # given no user with this id
    # when it is deactivated
    # then it is not found
    with pytest.raises(NotFound):
        user_set_active(actor=org.actor(org.admin), user_id=999_999, is_active=False)


def test_team_create_paths_the_new_team_under_its_parent(org: Org) -> None:
    # given the east department
    # when a team is added under it
    team = team_create(actor=org.actor(org.admin), name=" 南京组 ", kind=TeamKind.TEAM, parent_id=org.east.pk)

    # then its path extends the parent's
    assert (team.name, team.path) == ("南京组", f"{org.east.path}{team.pk:06d}/")


def test_team_create_refuses_a_duplicate_name_under_the_same_parent(org: Org) -> None:
    # given the east department with team 上海一组
    # when another 上海一组 is added there
    with pytest.raises(ValidationFailed) as caught:
        team_create(actor=org.actor(org.admin), name="上海一组", parent_id=org.east.pk)

    # then the name is refused
    assert [error.field for error in caught.value.errors] == ["name"]


def test_moving_a_team_re_paths_its_whole_subtree(org: Org) -> None:
    # given the east department with a sub-team that itself has a sub-team, and the north department
    sub = team_create(actor=org.actor(org.admin), name="浦东小组", parent_id=org.east_a.pk)
    north = org.north_a.parent
    assert north is not None

    # when the east department is moved under north
    team_update(
        actor=org.actor(org.admin), team_id=org.east.pk, name="华东大区", kind=TeamKind.DEPARTMENT, parent_id=north.pk
    )

    # then it and every descendant carry the new path, and other teams are untouched
    paths = dict(Team.objects.values_list("pk", "path"))
    east_path = f"{north.path}{org.east.pk:06d}/"
    assert paths[org.east.pk] == east_path
    assert paths[org.east_a.pk] == f"{east_path}{org.east_a.pk:06d}/"
    assert paths[org.east_b.pk] == f"{east_path}{org.east_b.pk:06d}/"
    assert paths[sub.pk] == f"{east_path}{org.east_a.pk:06d}/{sub.pk:06d}/"
    assert paths[org.north_a.pk] == f"{north.path}{org.north_a.pk:06d}/"
    entry = AuditEntry.objects.get(target_type="identity.team", verb=Verb.UPDATE)
    assert entry.changes == {"parent": [org.company.pk, north.pk]}


def test_a_team_cannot_move_under_its_own_subtree(org: Org) -> None:
    # given the east department and its team east_a
    # when east is moved under east_a
    with pytest.raises(ValidationFailed) as caught:
        team_update(
            actor=org.actor(org.admin),
            team_id=org.east.pk,
            name="华东大区",
            kind=TeamKind.DEPARTMENT,
            parent_id=org.east_a.pk,
        )

    # then it is refused and nothing moved
    assert [error.field for error in caught.value.errors] == ["parent"]
    assert Team.objects.get(pk=org.east.pk).parent_id == org.company.pk


def test_team_update_by_a_non_administrator_is_refused(org: Org) -> None:
    # given the east department manager
    # when they rename their department
    with pytest.raises(PermissionDenied):
        team_update(
            actor=org.actor(org.east_manager), team_id=org.east.pk, name="华东", kind="department", parent_id=None
        )

    # then nothing changed
    assert Team.objects.get(pk=org.east.pk).name == "华东大区"


def test_login_is_throttled_after_the_failure_limit(org: Org) -> None:
    # given one failure fewer than the limit for a username
    limit = settings.CRM_LOGIN_FAILURE_LIMIT
    for _attempt in range(limit - 1):
        login_record(actor=system_actor("sign-in"), username="rep_a1", ip_address="10.0.0.1", succeeded=False)
    assert login_is_throttled(username="rep_a1", ip_address="10.0.0.2") is False

    # when one more attempt fails
    login_record(actor=system_actor("sign-in"), username="REP_A1", ip_address="10.0.0.1", succeeded=False)

    # then that username is throttled from any address, other usernames are not
    assert login_is_throttled(username="rep_a1", ip_address="10.0.0.2") is True
    assert login_is_throttled(username="Rep_A1", ip_address=None) is True
    assert login_is_throttled(username="rep_a2", ip_address="10.0.0.2") is False
    assert AuditEntry.objects.filter(verb=Verb.LOGIN_FAILED).count() == limit


def test_login_throttling_ends_when_the_failures_leave_the_window(org: Org) -> None:
    # given the limit of failures reached
    start = dt.datetime(2025, 3, 12, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _attempt in range(settings.CRM_LOGIN_FAILURE_LIMIT):
            login_record(actor=system_actor("sign-in"), username="rep_a1", ip_address=None, succeeded=False)
        assert login_is_throttled(username="rep_a1", ip_address=None) is True

    # when the window has passed
    later = start + dt.timedelta(minutes=settings.CRM_LOGIN_FAILURE_WINDOW_MINUTES, seconds=1)
    with time_machine.travel(later, tick=False):
        throttled = login_is_throttled(username="rep_a1", ip_address=None)

    # then the username may try again
    assert throttled is False


def test_one_address_failing_for_many_usernames_is_throttled(org: Org) -> None:
    # given four times the limit of failures from one address, spread over usernames
    limit = settings.CRM_LOGIN_FAILURE_LIMIT
    for attempt in range(limit * 4):
        login_record(actor=system_actor("sign-in"), username=f"guess{attempt}", ip_address="10.9.9.9", succeeded=False)

    # when a fresh username is tried from that address and from another
    # then only that address is throttled
    assert login_is_throttled(username="rep_a1", ip_address="10.9.9.9") is True
    assert login_is_throttled(username="rep_a1", ip_address="10.0.0.1") is False


def test_successful_sign_ins_do_not_count_towards_throttling(org: Org) -> None:
    # given many successful sign-ins
    for _attempt in range(settings.CRM_LOGIN_FAILURE_LIMIT * 2):
        login_record(actor=org.actor(org.rep_a1), username="rep_a1", ip_address="10.0.0.1", succeeded=True)

    # when throttling is checked
    # then the user is not throttled
    assert login_is_throttled(username="rep_a1", ip_address="10.0.0.1") is False


def test_token_create_stores_only_the_hash_of_the_secret(org: Org) -> None:
    # given a rep
    # when they create a token
    token, secret = token_create(actor=org.actor(org.rep_a1), name="  ERP 同步  ")

    # then the secret is returned once, only its SHA-256 is stored, and the token finds its user
    assert secret.startswith("crm_")
    assert len(secret) > 40
    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (token.name, token.prefix) == ("ERP 同步", secret[:12])
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in [str(value) for value in stored.values()]
    found = token_find(token_hash=hash_token(secret))
    assert found is not None
    assert found.user == org.rep_a1


def test_token_create_requires_a_name(org: Org) -> None:
    # given a rep
    # when they create a token without a name
    with pytest.raises(ValidationFailed) as caught:
        token_create(actor=org.actor(org.rep_a1), name="   ")

    # then the name is refused
    assert [error.field for error in caught.value.errors] == ["name"]
    assert ApiToken.objects.count() == 0


def test_token_revoke_stops_the_token_at_once(org: Org) -> None:
    # given a working token
    token, secret = token_create(actor=org.actor(org.rep_a1), name="ERP 同步")

    # when its owner revokes it
    token_revoke(actor=org.actor(org.rep_a1), token_id=token.pk)

    # then it is no longer found and the revocation is audited
    assert token_find(token_hash=hash_token(secret)) is None
    assert AuditEntry.objects.filter(verb=Verb.TOKEN_REVOKE, target_id=token.pk).count() == 1


def test_a_user_cannot_revoke_someone_elses_token(org: Org) -> None:
    # given rep_a1's token
    token, secret = token_create(actor=org.actor(org.rep_a1), name="ERP 同步")

    # when the administrator tries to revoke it as if it were theirs
    with pytest.raises(NotFound):
        token_revoke(actor=org.actor(org.admin), token_id=token.pk)

    # then it still works
    assert token_find(token_hash=hash_token(secret)) is not None


def test_language_set_stores_the_users_choice_and_refuses_others(org: Org) -> None:
    # given a rep using Chinese
    # when they switch to English
    language_set(actor=org.actor(org.rep_a1), language="en")

    # then it is stored; an unsupported language is refused
    assert User.objects.get(pk=org.rep_a1.pk).language == "en"
    with pytest.raises(ValidationFailed):
        language_set(actor=org.actor(org.rep_a1), language="fr")


def test_preference_set_keeps_other_preferences(org: Org) -> None:
    # given a rep with a saved column choice
    preference_set(actor=org.actor(org.rep_a1), key="customer_columns", value=["name", "grade"])

    # when another preference is saved
    preference_set(actor=org.actor(org.rep_a1), key="contact_columns", value=["name"])

    # then both are stored
    assert User.objects.get(pk=org.rep_a1.pk).preferences == {
        "customer_columns": ["name", "grade"],
        "contact_columns": ["name"],
    }
