import pytest
from django.core.management import call_command
from django.test import Client

from crm.audit.models import AuditEntry, Verb
from crm.identity.models import User


@pytest.mark.django_db
def test_createadmin_makes_an_administrator_who_can_sign_in(client: Client) -> None:
    # given an empty organisation
    # when the operator creates the first administrator
    call_command("createadmin", "--username", "boss", "--password", "长城-horse-42", "--email", "boss@example.cn")

    # then they belong to the root team with the administrator role, the creation is audited,
    # and they can sign in with their email
    boss = User.objects.get(username="boss")
    assert (boss.role.code if boss.role else None, boss.team is not None, boss.is_superuser) == (
        "administrator",
        True,
        True,
    )
    assert AuditEntry.objects.filter(verb=Verb.CREATE, target_type="identity.user", target_id=boss.pk).count() == 1
    client.get("/login/")
    response = client.post("/login/", {"username": "boss@example.cn", "password": "长城-horse-42"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
