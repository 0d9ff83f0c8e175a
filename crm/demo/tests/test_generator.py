from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from conftest import ensure_builtin_roles
from crm.activities.models import Activity
from crm.core.actors import system_actor
from crm.core.phone import normalize_phone
from crm.customers.duplicates.normalise import company_key, person_key
from crm.customers.models import Contact, Customer
from crm.customers.selectors import CustomerFilters, customer_list
from crm.customers.services import customer_create
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.demo.composition import BIG_CUSTOMER_NAME, Composition
from crm.demo.generator import generate
from crm.demo.tests.schema import schema
from crm.identity.models import User

# The generator sets connection pragmas, which SQLite refuses inside the per-test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def _generate(customers: int = 60) -> None:
    ensure_builtin_roles()
    generate(Composition(customers=customers, contacts_per_customer=1.5, follow_ups_per_customer=3.0))


def test_generate_loads_customers_contacts_and_follow_ups_in_the_requested_numbers() -> None:
    # given an empty database
    # when 60 demo customers are generated
    _generate(60)

    # then there are 60 customers, 90 contacts and 180 follow-ups, every one of them live
    assert Customer.objects.count() == 60
    assert Contact.objects.count() == 90
    assert Activity.objects.count() == 180
    assert set(Customer.objects.values_list("version", flat=True)) == {1}


def test_contacts_and_follow_ups_belong_to_their_customers_owner_and_team() -> None:
    # given generated demo data
    _generate(60)

    # when contacts and follow-ups are compared with their customers
    customers = {c.pk: (c.owner_id, c.team_id) for c in Customer.objects.all()}
    contacts = [(c.customer_id, (c.owner_id, c.team_id)) for c in Contact.objects.all()]
    activities = [(a.customer_id, (a.owner_id, a.team_id)) for a in Activity.objects.all()]

    # then each has its customer's owner and team
    assert all(customer_id is not None and customers[customer_id] == owner for customer_id, owner in contacts)
    assert all(customers[customer_id] == owner for customer_id, owner in activities)
    assert all(team_id is not None for _owner, team_id in customers.values())


def test_generated_customers_are_found_by_name_substring_and_pinyin_initials() -> None:
    # given generated demo data, whose search index is built at the end of the load
    _generate(60)
    viewer = system_actor("test")

    # when searching by a three-character substring and by pinyin initials
    by_name = customer_list(viewer=viewer, filters=CustomerFilters(q="字节跳动"))
    by_initials = customer_list(viewer=viewer, filters=CustomerFilters(q="bjzjtd"))

    # then the first demo customer is found both ways
    assert [c.name for c in by_name] == ["北京字节跳动科技有限公司"]
    assert [c.name for c in by_initials] == ["北京字节跳动科技有限公司"]


def test_generate_leaves_indexes_and_search_triggers_as_the_migrations_made_them() -> None:
    # given the migrated schema
    before = schema()

    # when demo data is generated (indexes and search triggers are set aside during the load)
    _generate(30)

    # then the same indexes and triggers exist afterwards
    assert schema() == before


def test_customers_created_after_generation_are_searchable_at_once() -> None:
    # given generated demo data
    _generate(30)

    # when a user creates a customer
    owner = User.objects.get(username="rep1")
    customer_create(actor=system_actor("test"), values={"name": "苏州云帆新材料有限公司", "owner_id": owner.pk})

    # then the search index knows it without a rebuild
    found = customer_list(viewer=system_actor("test"), filters=CustomerFilters(q="云帆新材料"))
    assert [c.name for c in found] == ["苏州云帆新材料有限公司"]


def test_demo_rows_carry_the_duplicate_check_keys_the_services_would_write() -> None:
    # given generated demo data
    _generate(30)

    # then every customer and contact has the name key of its name
    customers = list(Customer.objects.values_list("name", "name_key"))
    contacts = list(Contact.objects.values_list("name", "name_key"))
    assert [key for _name, key in customers] == [company_key(name) for name, _key in customers]
    assert [key for _name, key in contacts] == [person_key(name) for name, _key in contacts]
    assert Customer.objects.filter(name_key="字节跳动").count() == 1


def test_demo_phone_numbers_pass_the_phone_validator() -> None:
    # given generated demo data
    _generate(60)
    # when every stored customer and contact phone is normalised again as an edit would
    phones = [p for p in Customer.objects.values_list("phone", flat=True) if p]
    phones += [m for m in Contact.objects.values_list("mobile", flat=True) if m]
    # then each is accepted unchanged
    assert phones
    assert [normalize_phone(p, field="phone") for p in phones] == phones


def test_without_the_big_customer_nobody_has_thousands_of_follow_ups() -> None:
    # given the bulk path without the big customer
    ensure_builtin_roles()
    ensure_default_pipeline()
    generate(Composition(customers=300, follow_ups_per_customer=20, bulk_from=0, big_customer=False))

    # then no customer carries the big customer's name and follow-ups are spread evenly
    assert not Customer.objects.filter(name=BIG_CUSTOMER_NAME).exists()
    assert set(Customer.objects.annotate(n=Count("activities")).values_list("n", flat=True)) == {20}


def test_bulk_load_leaves_indexes_and_search_triggers_as_the_migrations_made_them() -> None:
    # given the migrated schema
    before = schema()

    # when the demo is generated with the bulk path on (indexes are set aside during the load)
    ensure_builtin_roles()
    ensure_default_pipeline()
    generate(Composition(customers=100, follow_ups_per_customer=5, bulk_from=0))

    # then the same indexes and triggers exist afterwards
    assert schema() == before


def test_command_prints_counts_and_elapsed_time() -> None:
    # given an empty database
    ensure_builtin_roles()

    # when the command runs quietly at a small scale
    out = StringIO()
    call_command("demo", scale=50, quiet=True, stdout=out)

    # then its summary names the counts
    text = out.getvalue()
    assert "Loaded 50 customers, 100 contacts, 500 follow-ups" in text
    assert "Seconds per stage:" in text
