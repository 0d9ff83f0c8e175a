# ruff: noqa: N999  (the command is `crm import`, as the docs spell it)
"""`crm import {leads,customers,contacts} FILE`: the import pipeline, run synchronously.

Columns are mapped automatically from their headers (field code names, Chinese or English
labels). Prints a summary and the path of the rejected-rows file; exits non-zero when a row
was rejected or the file could not be read.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.core.errors import DomainError
from crm.identity.models import User
from crm.imports import services
from crm.imports.mapping import label_of
from crm.imports.models import JobStatus, MatchKey, Mode, ObjectType
from crm.imports.rejected_file import rejected_csv


class Command(BaseCommand):
    help = "Import leads, customers or contacts from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("object_type", choices=ObjectType.values)
        parser.add_argument("file", type=Path)
        parser.add_argument("--mode", choices=Mode.values, default=Mode.UPSERT)
        parser.add_argument("--match", choices=MatchKey.values, default=MatchKey.EXTERNAL_ID)
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--as", dest="username", help="the user the import acts as (default: first superuser)")

    def _user(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True)
        user = users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}." if username else "Pass --as USERNAME.")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        actor = services.import_actor(self._user(options["username"]))
        try:
            job = services.import_job_create(
                actor=actor,
                object_type=options["object_type"],
                file_name=path.name,
                data=data,
                mode=options["mode"],
                match_key=options["match"],
                dry_run=options["dry_run"],
            )
            mapped = [
                f"{h} → {label_of(job.object_type, c)}" for h, c in zip(job.headers, job.mapping, strict=True) if c
            ]
            self.stdout.write("Columns: " + "; ".join(mapped))
            services.import_job_queue(actor=actor, job_id=job.pk, background=False)
        except DomainError as exc:
            details = "; ".join(f"{error.field}: {error.message}" for error in exc.errors) or exc.message
            raise CommandError(details) from exc
        job = services.import_job_run(actor=actor, job_id=job.pk)
        self._report(job)

    def _report(self, job: Any) -> None:
        verb = "would create" if job.dry_run else "created"
        self.stdout.write(
            f"{job.total_rows} rows: {verb} {job.created_count}, updated {job.updated_count}, "
            f"unchanged {job.unchanged_count}, rejected {job.rejected_count}, warnings {job.warning_count} "
            f"(import #{job.pk}, {job.status})"
        )
        if job.status == JobStatus.FAILED:
            raise CommandError(job.error)
        if job.rejected_count:
            with tempfile.NamedTemporaryFile(prefix=f"import-{job.pk}-rejected-", suffix=".csv", delete=False) as out:
                out.write(rejected_csv(job))
            self.stdout.write(f"Rejected rows: {out.name}")
            sys.exit(1)
