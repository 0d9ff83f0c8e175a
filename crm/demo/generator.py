"""`crm demo`: the demo organisation and its data, at any scale, in stages.

1. The organisation, then customers, contacts and follow-ups with bulk SQL (any scale), their
   indexes and search index built once at the end, and the reps' tasks from planned contacts.
2. The showcase: a few hundred leads, deals, quotes, contracts and payments through the services.
3. From `Composition.bulk_from` customers on, leads, deals and the contract ledger topped up to
   their per-customer ratios with bulk SQL, indexes again built once at the end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import connection, transaction

from crm.activities.models import Activity, Task
from crm.activities.services import tasks_from_planned_contacts
from crm.audit.models import Verb
from crm.audit.services import audit_record
from crm.contracts.models import Contract
from crm.core.actors import system_actor
from crm.customers.models import Contact, Customer, Tag
from crm.deals.models import Deal, StageChange, StageKind
from crm.deals.stage_totals import stage_totals_refresh
from crm.demo import vocabulary as words
from crm.demo.composition import Composition
from crm.demo.customer_load import Population, load_customers
from crm.demo.deal_load import LOST, OPEN, WON, default_pipeline, load_deals
from crm.demo.indexing import indexes_deferred
from crm.demo.lead_load import load_leads
from crm.demo.ledger_load import load_ledger
from crm.demo.organisation import DemoLogin, build_organisation
from crm.demo.progress import Progress, Silent
from crm.demo.showcase import load_showcase
from crm.identity.models import User
from crm.leads.assignment import open_lead_counts
from crm.leads.models import Lead
from crm.leads.rulebook import MAX_CAPACITY, capacity_set
from crm.payments.models import Instalment, Invoice, Payment, PaymentAllocation, PaymentPlan
from crm.payments.services.running_totals import running_totals_refresh

# Room above the open leads each rep already holds, so new leads can still be assigned to them.
LEAD_CAPACITY_HEADROOM = 200


@dataclass(frozen=True)
class DemoResult:
    logins: list[DemoLogin]
    counts: dict[str, int]


def generate(composition: Composition, *, seed: int = 2026, progress: Progress | None = None) -> DemoResult:
    """Create the demo organisation and its data as `composition` says (on an empty database)."""
    rng = random.Random(seed)
    report = progress or Silent()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB for this connection: index pages stay cached
    report.begin("organisation", 1)
    with transaction.atomic():
        reps, logins = build_organisation()
        tags = [Tag.objects.create(name=name) for name in words.TAGS]
    report.advance("organisation", 1)
    owners = [(rep.pk, rep.team_id) for rep in reps]
    with indexes_deferred(Customer, Customer.tags.through, Contact, Activity, searchable=(Customer, Contact)):
        population = load_customers(rng, composition=composition, owners=owners, tags=tags, progress=report)
        report.begin("indexes", 1)  # built as the block ends
    report.advance("indexes", 1)
    report.begin("tasks", 1)
    tasks_from_planned_contacts(actor=system_actor("demo"))
    report.advance("tasks", 1)
    load_showcase(rng, reps=reps, customers=composition.customers, progress=report)
    if composition.bulk:
        _top_up(rng, composition, population, report)
    _refresh_statistics(composition, report)
    counts = demo_counts()
    with transaction.atomic():
        audit_record(actor=system_actor("demo"), verb=Verb.CREATE, target_type="demo.dataset", changes=counts)
    return DemoResult(logins=logins, counts=counts)


def _top_up(rng: random.Random, composition: Composition, population: Population, report: Progress) -> None:
    """Leads, deals and the ledger up to their ratios, counting what the showcase made already."""
    pipeline, _stages = default_pipeline()
    in_pipeline = Deal.all_objects.filter(pipeline=pipeline)
    outcomes = {
        OPEN: composition.open_deals - in_pipeline.filter(stage__kind=StageKind.OPEN).count(),
        WON: composition.won_deals - in_pipeline.filter(stage__kind=StageKind.WON).count(),
        LOST: composition.deals - composition.open_deals - composition.won_deals,
    }
    outcomes[LOST] -= in_pipeline.filter(stage__kind=StageKind.LOST).count()
    finance = User.objects.filter(username="finance").values_list("pk", flat=True).first()
    with indexes_deferred(
        Lead,
        Deal,
        StageChange,
        Contract,
        PaymentPlan,
        Instalment,
        Payment,
        PaymentAllocation,
        Invoice,
        searchable=(Lead, Deal),
    ):
        load_leads(
            rng,
            count=max(0, composition.leads - Lead.all_objects.count()),
            population=population,
            progress=report,
        )
        won = load_deals(
            rng,
            outcomes={kind: max(0, count) for kind, count in outcomes.items()},
            population=population,
            progress=report,
        )
        load_ledger(
            rng,
            contracts=composition.contracts - Contract.all_objects.count(),
            instalments=composition.instalments - Instalment.objects.count(),
            won=won,
            population=population,
            finance_user_id=finance,
            progress=report,
        )
        report.begin("sales indexes", 1)  # built as the block ends
    report.advance("sales indexes", 1)
    # The payments and invoices went in by SQL, past the services that keep the contracts' running
    # totals. Recomputed once the indexes are back: without the payments' contract index each
    # contract's sum would scan every payment.
    running_totals_refresh()
    stage_totals_refresh()
    _lead_capacity(population)


def _lead_capacity(population: Population) -> None:
    """Raise the reps' open-lead caps above what the bulk load gave them, or nobody could take new leads."""
    actor = system_actor("demo")
    reps = [owner for owner, _team in population.owners]
    for rep, open_leads in open_lead_counts(reps).items():
        capacity_set(actor=actor, user_id=rep, max_open_leads=min(MAX_CAPACITY, open_leads + LEAD_CAPACITY_HEADROOM))


def _refresh_statistics(composition: Composition, report: Progress) -> None:
    """Give the query planner row counts for the tables just filled (bulk scale only: small loads need none)."""
    if not composition.bulk:
        return
    report.begin("statistics", 1)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Sampling keeps ANALYZE to seconds on a database of many gigabytes.
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            # VACUUM also sets the visibility map, so covering indexes answer without reading the table.
            cursor.execute("VACUUM ANALYZE")
    report.advance("statistics", 1)


def demo_counts() -> dict[str, int]:
    """How many live records of each kind the database holds."""
    return {
        "customers": Customer.objects.count(),
        "contacts": Contact.objects.count(),
        "follow-ups": Activity.objects.count(),
        "tasks": Task.objects.count(),
        "leads": Lead.objects.count(),
        "deals": Deal.objects.count(),
        "open deals": Deal.objects.filter(stage__kind=StageKind.OPEN).count(),
        "contracts": Contract.objects.count(),
        "instalments": Instalment.objects.count(),
        "payments": Payment.objects.count(),
        "allocations": PaymentAllocation.objects.count(),
        "invoices": Invoice.objects.count(),
    }
