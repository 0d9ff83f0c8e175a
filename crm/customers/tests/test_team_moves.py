import pytest
from django.core.management import call_command

from conftest import Org
from crm.customers.models import Contact, Customer
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.services import user_update


@pytest.mark.django_db(transaction=True)
def test_records_follow_their_owner_to_a_new_team(org: Org) -> None:
    # given rep_a1 owns a customer and a contact in team east_a
    customer = a_customer(org.rep_a1)
    contact = a_contact(org.rep_a1, customer)
    assert customer.team_id == org.east_a.pk

    # when an administrator moves rep_a1 to north_a and the worker runs the follow-up job
    user_update(actor=org.actor(org.admin), user_id=org.rep_a1.pk, team=org.north_a)
    call_command("worker", "--batch")

    # then the records are in north_a: rep_n1's team sees them, east_a's manager no longer does
    assert Customer.objects.get(pk=customer.pk).team_id == org.north_a.pk
    assert Contact.objects.get(pk=contact.pk).team_id == org.north_a.pk
