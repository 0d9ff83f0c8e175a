"""Background jobs of the imports app (run by `crm worker`)."""

from __future__ import annotations

from django.tasks import task
from django.utils import translation

from crm.identity.models import User
from crm.imports.models import ImportJob
from crm.imports.services import import_actor, import_job_run


@task()
def run_import_job(*, job_id: int) -> str:
    """Idempotent: a job that is no longer queued is left as it is."""
    job = ImportJob.objects.filter(pk=job_id).only("pk", "created_by_id").first()
    if job is None:
        return "missing"
    user = User.objects.get(pk=job.created_by_id)
    # Row messages are stored as text: write them in the language of the person who reads them.
    with translation.override(user.language):
        return import_job_run(actor=import_actor(user), job_id=job_id).status
