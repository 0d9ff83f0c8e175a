"""Reads of import jobs and mapping templates: a user sees the imports they started."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm.core.actors import Actor
from crm.core.errors import NotFound
from crm.core.pagination import Page, SortKey, paginate
from crm.identity.rights import user_of
from crm.imports.models import ImportJob, MappingTemplate

JOB_SORT = SortKey("created_at", descending=True)
# The file and the per-row details are large; lists never load them.
_HEAVY = ("file_data", "sample_rows", "rejected", "warnings", "created_ids", "previous_values")


def _own_jobs(viewer: Actor) -> QuerySet[ImportJob]:
    user = user_of(viewer)
    if viewer.is_system:
        return ImportJob.objects.all()
    if user is None:
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by_id=user.pk)


def import_job_page(*, viewer: Actor, cursor: str | None, size: int) -> Page[ImportJob]:
    jobs = _own_jobs(viewer).defer(*_HEAVY).select_related("created_by")
    return paginate(jobs, sort=JOB_SORT, cursor=cursor, size=size)


def import_job_get(*, viewer: Actor, job_id: int, with_details: bool = True) -> ImportJob:
    """One of the viewer's own import jobs, or NotFound."""
    jobs = _own_jobs(viewer)
    if not with_details:
        jobs = jobs.defer(*_HEAVY)
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("This import does not exist or is not yours."))
    return job


def mapping_template_list(*, viewer: Actor, object_type: str) -> list[MappingTemplate]:
    user = user_of(viewer)
    if user is None:
        return []
    return list(MappingTemplate.objects.filter(created_by_id=user.pk, object_type=object_type))
