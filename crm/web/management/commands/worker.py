"""`crm worker`: run the background task worker (django.tasks, database backend) and the scheduler."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from config.schedule import SCHEDULE
from crm.core.scheduling import Scheduler


class Command(BaseCommand):
    help = "Run the background task worker until stopped (or once with --batch)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Process waiting tasks, then exit.")
        parser.add_argument("--queue-name", default="*")
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Do not enqueue periodic jobs from this worker (safe to leave on in every worker: "
            "each job still runs once per period).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        arguments = ["--queue-name", options["queue_name"], "--no-reload"]
        scheduler = None
        if options["batch"]:
            arguments += ["--batch", "--no-startup-delay"]
        elif not options["no_scheduler"]:
            scheduler = Scheduler(SCHEDULE)
            scheduler.start()
        try:
            call_command("db_worker", *arguments)
        finally:
            if scheduler is not None:
                scheduler.stop()
