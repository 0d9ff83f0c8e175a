import pytest
from django.test import Client

from conftest import Org
from crm.customers.models import Customer


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    ['{"name": "华信\\u0000科技"}', '{"name": "ok", "notes": "a\\u0000b"}'],
)
def test_api_refuses_nul_characters_with_400(client: Client, org: Org, body: str) -> None:
    # given a signed-in user
    client.force_login(org.rep_a1)
    # when a JSON body carries an escaped NUL character
    response = client.post("/api/v1/customers", data=body, content_type="application/json")
    # then it is refused with the API's error shape and nothing is stored
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_character"
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_web_form_refuses_nul_characters(client: Client, org: Org) -> None:
    client.force_login(org.rep_a1)
    response = client.post("/customers/new/", data={"name": "华信\x00科技", "lifecycle_stage": "prospect"})
    assert response.status_code == 400
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_query_strings_with_nul_are_refused(client: Client, org: Org) -> None:
    client.force_login(org.rep_a1)
    assert client.get("/customers/?q=%00abc").status_code == 400
    assert client.get("/api/v1/customers?q=%00").status_code == 400
