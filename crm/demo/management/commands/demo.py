"""`crm demo [--scale N]`: load realistic Chinese demo data, with a progress bar per stage."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from crm.customers.models import Customer
from crm.demo import composition as ratios
from crm.demo.composition import BIG_CUSTOMER_NAME, Composition
from crm.demo.generator import generate
from crm.demo.organisation import DEMO_PASSWORD
from crm.identity.models import User


class _Bars:
    """One bar per stage, started when the stage begins; remembers how long each stage took."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}
        self.seconds: dict[str, float] = {}

    def begin(self, stage: str, total: int) -> None:
        self.tasks[stage] = self.bar.add_task(stage, total=total)
        self.started[stage] = time.perf_counter()
        self.seconds[stage] = 0.0

    def advance(self, stage: str, count: int) -> None:
        self.bar.advance(self.tasks[stage], count)
        self.seconds[stage] = time.perf_counter() - self.started[stage]


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"


class Command(BaseCommand):
    help = (
        "Load demo users, teams, customers, contacts and follow-ups, leads, deals, contracts and payments "
        "(skipped if data exists)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=2000, help="Number of customers (default 2000).")
        parser.add_argument("--contacts-per-customer", type=float, default=ratios.CONTACTS_PER_CUSTOMER)
        parser.add_argument("--activities-per-customer", type=float, default=ratios.FOLLOW_UPS_PER_CUSTOMER)
        parser.add_argument(
            "--leads-per-customer", type=float, default=ratios.LEADS_PER_CUSTOMER, help="From --bulk-from on."
        )
        parser.add_argument(
            "--deals-per-customer", type=float, default=ratios.DEALS_PER_CUSTOMER, help="From --bulk-from on."
        )
        parser.add_argument(
            "--instalments-per-customer",
            type=float,
            default=ratios.INSTALMENTS_PER_CUSTOMER,
            help=f"From --bulk-from on; {ratios.INSTALMENTS_PER_CONTRACT} per signed contract on average.",
        )
        parser.add_argument(
            "--bulk-from",
            type=int,
            default=ratios.BULK_FROM,
            help=f"Top leads, deals and contracts up to their ratios from this many customers on "
            f"(default {ratios.BULK_FROM:,}); below it only the few hundred the services make.",
        )
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if Customer.all_objects.exists() or User.objects.filter(username="rep1").exists():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            self._print_logins()
            return
        composition = Composition(
            customers=max(1, options["scale"]),
            contacts_per_customer=options["contacts_per_customer"],
            follow_ups_per_customer=options["activities_per_customer"],
            leads_per_customer=options["leads_per_customer"],
            deals_per_customer=options["deals_per_customer"],
            instalments_per_customer=options["instalments_per_customer"],
            bulk_from=options["bulk_from"],
        )
        started = time.perf_counter()
        with Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=options["quiet"],
        ) as bar:
            bars = _Bars(bar)
            result = generate(composition, progress=bars)
        elapsed = time.perf_counter() - started
        self.stdout.write("Seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in bars.seconds.items()))
        if composition.has_big_customer:
            self.stdout.write(f"Customer with {ratios.BIG_CUSTOMER_FOLLOW_UPS:,} follow-ups: {BIG_CUSTOMER_NAME}")
        counts = ", ".join(f"{count:,} {name}" for name, count in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Loaded {counts} in {_duration(elapsed)}."))
        self._print_logins()

    def _print_logins(self) -> None:
        users = User.objects.filter(email__endswith="@demo.crm").select_related("role", "team").order_by("id")
        if not users:
            return
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for user in users:
            self.stdout.write(f"  {user.username:<12} {user.role.display_name if user.role else '':<8} {user.team}")
