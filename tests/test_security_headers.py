import pytest
from django.test import Client

from conftest import Org


@pytest.mark.django_db
def test_pages_forbid_inline_and_foreign_scripts(client: Client, org: Org) -> None:
    # given a signed-in user
    client.force_login(org.rep_a1)
    # when they open a page
    response = client.get("/customers/")
    # then the policy allows our own scripts only, and no framing
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self' 'unsafe-eval'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_templates_have_no_inline_event_handlers(client: Client, org: Org) -> None:
    # given the customer list and the detail page of a customer
    client.force_login(org.admin)
    body = client.get("/customers/").content.decode()
    # then no element carries an inline handler, which the policy would block
    assert " onsubmit=" not in body
    assert " onclick=" not in body
