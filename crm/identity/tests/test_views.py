from django.conf import settings
from django.contrib.auth import get_user
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from conftest import PASSWORD, Org
from crm.audit.models import AuditEntry, Verb
from crm.identity.models import User


def test_sign_in_with_an_email_address(org: Org) -> None:
    # given a user whose email is rep_a1@example.com
    client = Client()

    # when they sign in with the email in another case
    response = client.post("/login/", {"username": "REP_A1@Example.com", "password": PASSWORD})

    # then they are signed in as that user and land on the home page
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(org.rep_a1.pk)
    assert AuditEntry.objects.filter(verb=Verb.LOGIN, actor_id=org.rep_a1.pk).count() == 1


def test_sign_in_with_a_username_follows_a_safe_next(org: Org) -> None:
    # given a visitor sent to sign in from the customer list
    client = Client()

    # when they sign in
    response = client.post(
        "/login/?next=/customers/", {"username": "rep_a1", "password": PASSWORD, "next": "/customers/"}
    )

    # then they go back to the list
    assert (response.status_code, response["Location"]) == (302, "/customers/")


def test_sign_in_ignores_an_off_site_next(org: Org) -> None:
    # given a link that would send the user to another site after sign-in
    client = Client()

    # when they sign in through it
    response = client.post("/login/", {"username": "rep_a1", "password": PASSWORD, "next": "https://evil.example.com/"})

    # then they land at home instead
    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_wrong_password_is_refused_and_recorded(org: Org) -> None:
    # given a user
    client = Client()

    # when they sign in with the wrong password
    response = client.post("/login/", {"username": "rep_a1", "password": "wrong-password"})

    # then the form says so and the failure is recorded
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(verb=Verb.LOGIN_FAILED).count() == 1


def test_sign_in_is_refused_after_too_many_failures_even_with_the_right_password(org: Org) -> None:
    # given the failure limit reached for a username
    client = Client()
    for _attempt in range(settings.CRM_LOGIN_FAILURE_LIMIT):
        client.post("/login/", {"username": "rep_a1", "password": "wrong-password"})

    # when the right password is then sent
    response = client.post("/login/", {"username": "rep_a1", "password": PASSWORD})

    # then sign-in is still refused
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_deactivated_user_cannot_sign_in(org: Org) -> None:
    # given a deactivated rep
    User.objects.filter(pk=org.rep_a2.pk).update(is_active=False)

    # when they sign in with the right password
    client = Client()
    response = client.post("/login/", {"username": "rep_a2", "password": PASSWORD})

    # then they are refused
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_switching_language_is_stored_on_the_user(org: Org) -> None:
    # given a signed-in rep using Chinese
    client = Client()
    client.force_login(org.rep_a1)

    # when they switch to English
    response = client.post("/language/", {"language": "en", "next": "/customers/"})

    # then the choice is stored on their profile and cookie, and pages answer in English
    assert (response.status_code, response["Location"]) == (302, "/customers/")
    assert User.objects.get(pk=org.rep_a1.pk).language == "en"
    assert response.cookies["crm_language"].value == "en"
    page = client.get("/customers/")
    assert page["Content-Language"] == "en"
    assert 'lang="en"' in page.content.decode()


def test_the_saved_language_wins_over_the_browsers(org: Org) -> None:
    # given a rep who chose English, signing in from a fresh browser that prefers Chinese
    User.objects.filter(pk=org.rep_a1.pk).update(language="en")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies["crm_language"] = "zh-hans"

    # when they sign in and open a page
    client.post("/login/", {"username": "rep_a1", "password": PASSWORD})
    page = client.get("/customers/")

    # then the page is in English
    assert page["Content-Language"] == "en"


def test_an_unknown_language_falls_back_to_chinese(org: Org) -> None:
    # given a signed-in rep using English
    User.objects.filter(pk=org.rep_a1.pk).update(language="en")
    client = Client()
    client.force_login(User.objects.get(pk=org.rep_a1.pk))

    # when a language the product does not offer is posted
    client.post("/language/", {"language": "fr"})

    # then Chinese is stored
    assert User.objects.get(pk=org.rep_a1.pk).language == "zh-hans"


def test_org_screens_are_forbidden_to_non_administrators(org: Org) -> None:
    # given a sales director (not an administrator)
    client = Client()
    client.force_login(org.director)

    # when they open the user, team and role screens
    statuses = [client.get(path).status_code for path in ("/org/users/", "/org/teams/", "/org/roles/")]

    # then each is forbidden
    assert statuses == [403, 403, 403]


def test_creating_a_token_shows_the_secret_once(org: Org) -> None:
    # given a signed-in rep
    client = Client()
    client.force_login(org.rep_a1)

    # when they create a token
    created = client.post("/settings/tokens/", {"name": "ERP 同步"})
    listed = client.get("/settings/tokens/")

    # then the secret appears in that answer only
    secret = created.context["new_secret"]
    assert secret.startswith("crm_")
    assert secret in created.content.decode()
    assert secret not in listed.content.decode()


def test_a_signed_in_request_reads_the_users_role_and_team_without_more_queries(org: Org) -> None:
    # given a rep with a role and a team, signed in
    client = Client()
    client.force_login(org.rep_a1)
    request = RequestFactory().get("/")
    request.session = client.session

    # when the request's user is loaded and its role and team are read
    with CaptureQueriesContext(connection) as captured:
        user = get_user(request)
        role_code, team_name = user.role.code, user.team.name  # type: ignore[union-attr]

    # then it is that user, and the session and the user (with role and team) cost two queries
    assert user.pk == org.rep_a1.pk
    assert (role_code, team_name) == (org.rep_a1.role.code, org.rep_a1.team.name)  # type: ignore[union-attr]
    assert len(captured) == 2


def test_a_deactivated_users_session_signs_nobody_in(org: Org) -> None:
    # given a rep signed in, then deactivated by an administrator
    client = Client()
    client.force_login(org.rep_a1)
    User.objects.filter(pk=org.rep_a1.pk).update(is_active=False)

    # when the rep opens the customer list with the old session
    response = client.get("/customers/")

    # then they are sent to sign in
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
