"""`crm worker`: run the background task worker (django.tasks, database backend) and the scheduler."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from config.schedule import SCHEDULE
from crm.core.scheduling import Scheduler

QUIET_LOGGERS = ("django_tasks_db", "django.tasks")


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


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
        arguments = ["--queue-name", options["queue_name"], "--no-reload", "--verbosity", str(options["verbosity"])]
        quiet = options["verbosity"] <= 1
        if quiet:
            # Reminders run every minute; a line per task run would bury the warnings and failures.
            for name in QUIET_LOGGERS:
                logging.getLogger(name).addFilter(_warnings_only)
            self.stdout.write("crm worker: processing tasks (run with -v 2 to log every task)")
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
            if quiet:
                for name in QUIET_LOGGERS:
                    logging.getLogger(name).removeFilter(_warnings_only)
