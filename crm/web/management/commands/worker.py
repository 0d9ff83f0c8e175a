"""`crm worker`: run the background task worker (django.tasks, database backend)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background task worker until stopped (or once with --batch)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Process waiting tasks, then exit.")
        parser.add_argument("--queue-name", default="*")

    def handle(self, *args: Any, **options: Any) -> None:
        arguments = ["--queue-name", options["queue_name"], "--no-reload"]
        if options["batch"]:
            arguments += ["--batch", "--no-startup-delay"]
        call_command("db_worker", *arguments)
