"""Running an import the way the worker does, for the tests."""

from __future__ import annotations

from typing import Any

from crm.identity.models import User
from crm.imports import services
from crm.imports.models import ImportJob
from crm.imports.tests.files import csv_bytes


def run_import(
    user: User,
    object_type: str,
    rows: list[list[str]],
    *,
    mode: str = "upsert",
    match: str = "external_id",
    dry_run: bool = False,
    **options: Any,
) -> ImportJob:
    actor = services.import_actor(user)
    job = services.import_job_create(
        actor=actor,
        object_type=object_type,
        file_name="import.csv",
        data=csv_bytes(rows),
        mode=mode,
        match_key=match,
        dry_run=dry_run,
        **options,
    )
    services.import_job_queue(actor=actor, job_id=job.pk, background=False)
    return services.import_job_run(actor=actor, job_id=job.pk)
