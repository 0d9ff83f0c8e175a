"""Which events the imports app reacts to: a queued import is handed to the worker."""

from __future__ import annotations

from crm.core.events import subscribe
from crm.imports.events import ImportJobQueued
from crm.imports.tasks import run_import_job


def _run(event: ImportJobQueued) -> None:
    run_import_job.enqueue(job_id=event.job_id)


def register() -> None:
    subscribe(ImportJobQueued, _run)
