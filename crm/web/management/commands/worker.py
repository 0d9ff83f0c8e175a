"""`crm worker`: run the background task worker and the scheduler of periodic jobs.

Which worker runs follows the task backend (`TASK_BACKEND`): the database backend's `db_worker`, or,
with `TASK_BACKEND=redis`, an RQ worker (`crm/core/rq_worker.py`). Either way the scheduler thread
enqueues each periodic job once per period, however many workers run.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.tasks import task_backends

from config.schedule import SCHEDULE
from crm.core.rq_backend import RedisTaskBackend
from crm.core.rq_worker import DEFAULT_LEASE_SECONDS, run_worker
from crm.core.scheduling import Scheduler

QUIET_LOGGERS = ("django_tasks_db", "django.tasks")


def _warnings_only(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


class Command(BaseCommand):
    help = "Run the background task worker until stopped (or once with --batch)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Process waiting tasks, then exit.")
        parser.add_argument(
            "--queue-name", default="*", help="The queue to work, or * for every queue of the task backend."
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Do not enqueue periodic jobs from this worker (safe to leave on in every worker: "
            "each job still runs once per period).",
        )
        parser.add_argument(
            "--lease",
            type=int,
            default=DEFAULT_LEASE_SECONDS,
            help="Redis backend only: seconds after which a job of a worker that stopped responding "
            "is given to another worker.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = task_backends["default"]
        quiet = options["verbosity"] <= 1
        if quiet:
            # Reminders run every minute; a line per task run would bury the warnings and failures.
            for name in QUIET_LOGGERS:
                logging.getLogger(name).addFilter(_warnings_only)
            self.stdout.write("crm worker: processing tasks (run with -v 2 to log every task)")
        scheduler = None
        if not options["batch"] and not options["no_scheduler"]:
            scheduler = Scheduler(SCHEDULE)
            scheduler.start()
        try:
            if isinstance(backend, RedisTaskBackend):
                self._work_redis(backend, options)
            else:
                self._work_database(options)
        finally:
            if scheduler is not None:
                scheduler.stop()
            if quiet:
                for name in QUIET_LOGGERS:
                    logging.getLogger(name).removeFilter(_warnings_only)

    def _work_database(self, options: dict[str, Any]) -> None:
        arguments = ["--queue-name", options["queue_name"], "--no-reload", "--verbosity", str(options["verbosity"])]
        if options["batch"]:
            arguments += ["--batch", "--no-startup-delay"]
        call_command("db_worker", *arguments)

    def _work_redis(self, backend: RedisTaskBackend, options: dict[str, Any]) -> None:
        if options["lease"] < 1:
            raise CommandError("--lease must be at least 1 second.")
        if options["queue_name"] == "*":
            queue_names = sorted(backend.queues)
        elif options["queue_name"] in backend.queues:
            queue_names = [options["queue_name"]]
        else:
            raise CommandError(
                f"Unknown queue {options['queue_name']!r}; the task backend has {sorted(backend.queues)}."
            )
        run_worker(
            backend,
            queue_names=queue_names,
            burst=options["batch"],
            lease=options["lease"],
            verbose=options["verbosity"] >= 2,
        )
