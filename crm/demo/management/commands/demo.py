"""`crm demo [--scale N]`: load realistic Chinese demo data with a progress bar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crm.customers.models import Customer
from crm.demo.generator import DEMO_PASSWORD, generate
from crm.identity.models import User


class Command(BaseCommand):
    help = "Load demo users, teams, customers, contacts and follow-ups (skipped if data exists)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=2000, help="Number of customers (default 2000).")
        parser.add_argument("--contacts-per-customer", type=float, default=1.5)
        parser.add_argument("--activities-per-customer", type=float, default=3.0)
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if Customer.all_objects.exists() or User.objects.filter(username="rep1").exists():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            self._print_logins()
            return
        scale = max(1, options["scale"])
        totals = {
            "customers": scale,
            "contacts": int(scale * options["contacts_per_customer"]),
            "activities": int(scale * options["activities_per_customer"]),
        }
        with Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=options["quiet"],
        ) as bar:
            tasks = {stage: bar.add_task(stage, total=total) for stage, total in totals.items()}
            generate(
                customers=scale,
                contacts_per_customer=options["contacts_per_customer"],
                activities_per_customer=options["activities_per_customer"],
                progress=lambda stage, count: bar.advance(tasks[stage], count),
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {totals['customers']:,} customers, "
                f"{totals['contacts']:,} contacts, {totals['activities']:,} follow-ups."
            )
        )
        self._print_logins()

    def _print_logins(self) -> None:
        users = User.objects.filter(email__endswith="@demo.crm").select_related("role", "team").order_by("id")
        if not users:
            return
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for user in users:
            self.stdout.write(f"  {user.username:<12} {user.role.display_name if user.role else '':<8} {user.team}")
