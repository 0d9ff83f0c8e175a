"""The bulk path of `crm demo` at a small scale: counts per ratio and every derived value kept right."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from conftest import empty_and_restore_migrated_rows, ensure_builtin_roles
from crm.activities.models import Activity, Task
from crm.contracts.models import Contract, ContractNumberSequence, ContractStatus
from crm.contracts.services import contract_number_next
from crm.core.search import search_filter
from crm.customers.models import Contact, Customer
from crm.deals.models import Deal, Pipeline, Stage, StageChange, StageKind, StageTotals
from crm.deals.tests.conftest import ensure_default_pipeline
from crm.demo.campaigns import DEMO_WEB_FORM_LEADS
from crm.demo.composition import BIG_CUSTOMER_FOLLOW_UPS, BIG_CUSTOMER_NAME, Composition
from crm.demo.generator import generate
from crm.leads.models import Lead, LeadStatus, RepCapacity
from crm.payments.models import Instalment, Invoice, Payment, PaymentAllocation, PaymentPlan

# serialized_rollback: the test database keeps a copy of its migrated rows, which the module restores.
pytestmark = pytest.mark.django_db(serialized_rollback=True)

ZERO = Decimal("0.00")
# Ratios high enough that every target is above what the showcase makes through the services.
SMALL = Composition(
    customers=300,
    contacts_per_customer=2,
    follow_ups_per_customer=20,
    leads_per_customer=4,
    deals_per_customer=6,
    instalments_per_customer=5,
    bulk_from=0,
    big_customer=True,
)


@pytest.fixture(scope="module", autouse=True)
def _bulk_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """One bulk load for the whole module, outside the per-test transactions; the tests only read it.

    Loading is the slow part, and SQLite refuses the generator's connection settings inside a transaction.
    """
    with django_db_blocker.unblock():
        ensure_builtin_roles()
        ensure_default_pipeline()  # transactional tests elsewhere may have emptied the migrations' rows
        generate(SMALL)
        yield
        empty_and_restore_migrated_rows()


def test_bulk_load_makes_each_kind_of_record_in_its_ratio() -> None:
    # given the module's bulk load
    # then every total matches its ratio, the showcase's records included
    pipeline = Pipeline.objects.get(is_default=True)
    assert Customer.objects.count() == 300
    assert Contact.objects.count() == 600
    assert Activity.objects.count() == 6000
    assert Lead.objects.count() == 1200
    assert Deal.objects.count() == 1800
    assert Deal.objects.filter(pipeline=pipeline, stage__kind=StageKind.OPEN).count() == SMALL.open_deals == 360
    assert Deal.objects.filter(stage__kind=StageKind.WON).count() == SMALL.won_deals == 720
    assert Contract.objects.count() == 300
    assert Instalment.objects.count() == 1500
    assert Task.objects.filter(status="open").exists()


def test_big_customer_has_its_follow_ups_and_the_others_share_the_rest() -> None:
    # given the module's bulk load
    # when follow-ups are counted per customer
    per_customer = dict(Customer.objects.annotate(n=Count("activities")).values_list("name", "n"))

    # then the big customer has exactly its share and every other customer 3 or 4
    assert per_customer.pop(BIG_CUSTOMER_NAME) == BIG_CUSTOMER_FOLLOW_UPS
    assert set(per_customer.values()) == {3, 4}


def test_customers_last_follow_up_is_their_latest_follow_up() -> None:
    # given the module's bulk load
    # when it is compared with the latest follow-up of each customer
    latest = Activity.objects.filter(customer=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    rows = list(Customer.objects.annotate(latest=Subquery(latest)).values_list("last_follow_up_at", "latest"))

    # then they agree for every customer, and no follow-up predates its customer
    assert all(stored == latest for stored, latest in rows)
    assert not Activity.objects.filter(occurred_at__lt=F("customer__created_at")).exists()


def test_contacts_follow_ups_and_tasks_belong_to_their_customers_owner() -> None:
    # given the module's bulk load
    # then contacts, follow-ups and planned tasks have their customer's owner and team
    for model in (Contact, Activity, Task):
        mismatched = model.objects.exclude(customer__isnull=True).exclude(
            owner_id=F("customer__owner_id"), team_id=F("customer__team_id")
        )
        assert not mismatched.exists(), model.__name__
    # and a follow-up's contact is one of its customer's contacts
    assert not Activity.objects.filter(contact__isnull=False).exclude(contact__customer=F("customer")).exists()


def test_deals_follow_their_pipelines_stages_and_history() -> None:
    # given the bulk load of the module
    deals = Deal.objects.all()

    # then each deal's stage is a stage of its pipeline, with that stage's probability
    assert not deals.exclude(stage__pipeline=F("pipeline")).exists()
    assert not deals.exclude(probability=F("stage__probability")).exists()
    # closed deals have a close time and reason; open ones neither
    closed = deals.exclude(stage__kind=StageKind.OPEN)
    assert not closed.filter(Q(closed_at__isnull=True) | Q(close_reason__isnull=True)).exists()
    assert not closed.exclude(close_reason__kind=F("stage__kind")).exists()
    assert not deals.filter(stage__kind=StageKind.OPEN, closed_at__isnull=False).exists()
    assert deals.filter(stage__kind=StageKind.LOST).exists()
    # the owner and team are the customer's
    assert not deals.exclude(owner_id=F("customer__owner_id"), team_id=F("customer__team_id")).exists()
    # and the history ends where the deal is, when it got there
    last = StageChange.objects.filter(deal=OuterRef("pk")).order_by("-moved_at", "-id")
    ends = deals.annotate(last_to=Subquery(last.values("to_stage")[:1]), last_at=Subquery(last.values("moved_at")[:1]))
    assert not ends.exclude(last_to=F("stage_id"), last_at=F("stage_entered_at")).exists()


def test_each_deals_furthest_stage_is_the_furthest_its_history_reached() -> None:
    # given the bulk load of the module
    # when each deal's furthest stage is compared with the furthest open or won stage its history entered
    entered = StageChange.objects.filter(deal_id=OuterRef(OuterRef("pk"))).values("to_stage_id")
    furthest = (
        Stage.objects.filter(pk__in=entered).exclude(kind=StageKind.LOST).order_by("-position", "-id").values("pk")[:1]
    )
    deals = Deal.objects.annotate(from_history=Subquery(furthest))

    # then they agree for every deal, showcase and bulk alike, and lost deals stopped at an open stage
    assert not deals.filter(furthest_stage__isnull=True).exists()
    assert not deals.exclude(furthest_stage_id=F("from_history")).exists()
    assert set(Deal.objects.filter(stage__kind=StageKind.LOST).values_list("furthest_stage__kind", flat=True)) == {
        StageKind.OPEN
    }
    assert set(Deal.objects.filter(stage__kind=StageKind.WON).values_list("furthest_stage__kind", flat=True)) == {
        StageKind.WON
    }


def test_stage_totals_count_every_deal_outside_the_recycle_bin() -> None:
    # given the bulk load of the module (showcase deals through the services, the rest by SQL)
    # when the running totals (per stage, owner and team) are compared with the deals summed afresh
    kept = {
        (row.stage_id, row.owner_id, row.team_id): (row.deal_count, row.amount_cents, row.weighted_cent_percent)
        for row in StageTotals.objects.filter(deal_count__gt=0)
    }
    summed: dict[tuple[int, int, int], tuple[int, Decimal, Decimal]] = {}
    for stage_id, owner_id, team_id, amount, probability in Deal.objects.values_list(
        "stage_id", "owner_id", "team_id", "amount", "probability"
    ):
        key = (stage_id, owner_id, team_id or 0)
        count, cents, weighted = summed.get(key, (0, Decimal(0), Decimal(0)))
        summed[key] = (count + 1, cents + amount * 100, weighted + amount * 100 * probability)

    # then every row holding deals has its count, cents and weighted cents exactly
    assert len({stage_id for stage_id, _owner, _team in kept}) >= 4
    assert kept == summed


def test_every_ledger_sum_agrees_with_its_parts() -> None:
    # given the module's bulk load
    # then each instalment's collected amount is the sum of its allocations, and never above its amount
    allocated = PaymentAllocation.objects.filter(instalment=OuterRef("pk")).values("instalment")
    instalments = Instalment.objects.annotate(
        allocated=Subquery(allocated.annotate(total=Sum("amount")).values("total"))
    )
    assert all((row.allocated or ZERO) == row.collected <= row.amount for row in instalments)
    assert instalments.filter(collected=F("amount")).exists()
    assert instalments.filter(collected=0).exists()
    # each payment is the sum of its allocations
    payments = Payment.objects.annotate(allocated=Sum("allocations__amount"))
    assert payments.exists()
    assert all(payment.allocated == payment.amount for payment in payments)
    # each contract with a plan is worth the sum of its instalments
    sums = dict(Instalment.objects.values("contract").annotate(total=Sum("amount")).values_list("contract", "total"))
    planned = Contract.objects.filter(pk__in=PaymentPlan.objects.values("contract_id"))
    assert planned.count() == len(sums) == 300
    assert all(contract.amount == sums[contract.pk] for contract in planned)
    # invoices never exceed their contract
    invoiced = Invoice.objects.values("contract").annotate(total=Sum("amount"), limit=Max("contract__amount"))
    assert invoiced.exists()
    assert all(row["total"] <= row["limit"] for row in invoiced)
    # and each contract's running totals equal its payments and invoices
    totals = dict(Contract.objects.values_list("pk", "collected"))
    paid = Payment.objects.values("contract").annotate(total=Sum("amount")).values_list("contract", "total")
    assert paid
    assert all(totals[pk] == total for pk, total in paid)
    billed = dict(Contract.objects.values_list("pk", "invoiced"))
    assert all(billed[pk] == total for pk, total in invoiced.values_list("contract", "total"))


def test_bulk_contracts_are_signed_from_won_deals_and_in_force_until_their_end() -> None:
    # given the bulk load of the module
    today = timezone.localdate()
    bulk = Contract.objects.filter(deal__isnull=False, status__in=[ContractStatus.ACTIVE, ContractStatus.EXPIRED])

    # then a contract is active while its end date is ahead, expired after
    assert not bulk.filter(status=ContractStatus.ACTIVE, ends_on__lt=today).exists()
    assert not bulk.filter(status=ContractStatus.EXPIRED, ends_on__gte=today).exists()
    assert bulk.filter(status=ContractStatus.EXPIRED).exists()
    # signed from a won deal of the same customer, for the deal's amount, by the deal's owner
    assert not bulk.exclude(deal__stage__kind=StageKind.WON).exists()
    assert not bulk.exclude(customer=F("deal__customer"), owner=F("deal__owner")).exists()
    assert not bulk.filter(signed_on__gt=today).exists()
    assert not bulk.exclude(amount=F("deal__amount")).exists()


def test_contract_numbers_continue_after_the_loaded_ones() -> None:
    # given the module's bulk load
    # when the next number is handed out
    with transaction.atomic():
        number = contract_number_next(timezone.localdate())

    # then it is new, and the sequence already stood past every loaded number
    assert not Contract.all_objects.filter(number=number).exists()
    assert ContractNumberSequence.objects.count() >= 1


def test_leads_are_consistent_with_their_status_and_conversion() -> None:
    # given the bulk load of the module
    leads = Lead.objects.all()

    # then every status occurs, scores are 0-100 and the team is the owner's
    assert set(leads.values_list("status", flat=True)) == set(LeadStatus.values)
    assert not leads.filter(Q(score__lt=0) | Q(score__gt=100)).exists()
    assert leads.exclude(score_reasons=[]).exists()
    assert not leads.exclude(team_id=F("owner__team_id")).exists()
    # converted leads point at a customer and one of its contacts; all but the web-form leads the showcase
    # converts onto an existing contact carry that customer's name
    converted = leads.filter(status=LeadStatus.CONVERTED)
    assert not converted.filter(Q(converted_customer__isnull=True) | Q(converted_at__isnull=True)).exists()
    assert not converted.exclude(converted_contact__customer=F("converted_customer")).exists()
    renamed = converted.exclude(company_name=F("converted_customer__name"))
    assert not renamed.exclude(channel="web_form").exists()
    assert renamed.count() <= DEMO_WEB_FORM_LEADS
    # only leads past "new" have a first-contact time
    assert not leads.filter(status=LeadStatus.NEW, first_contacted_at__isnull=False).exists()
    # and each rep can still take new leads
    open_by_owner = dict(
        leads.filter(status__in=["new", "contacted", "qualified"]).values_list("owner").annotate(n=Count("id"))
    )
    caps = dict(RepCapacity.objects.values_list("user_id", "max_open_leads"))
    assert all(caps[owner] > count for owner, count in open_by_owner.items())


def test_bulk_leads_and_deals_are_found_by_search() -> None:
    # given the bulk load of the module
    lead = Lead.objects.filter(status=LeadStatus.CONVERTED).exclude(converted_customer=None).first()
    assert lead is not None
    deal = Deal.objects.order_by("-id").first()
    assert deal is not None

    # when searching for a lead's company and a deal's customer
    found_leads = search_filter(Lead.objects.all(), lead.company_name)
    found_deals = search_filter(Deal.objects.all(), deal.customer.name)

    # then they are found
    assert lead.pk in set(found_leads.values_list("pk", flat=True))
    assert deal.pk in set(found_deals.values_list("pk", flat=True))
