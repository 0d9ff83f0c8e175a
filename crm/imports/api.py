"""Imports API: `/api/v1/imports` — upload a file with a mapping, follow it, list, revert."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, UploadedFile
from pydantic import Field

from crm.api.schemas import ERRORS
from crm.core.actors import Actor, api_actor
from crm.core.errors import FieldError, ValidationFailed
from crm.identity.models import User
from crm.imports import selectors, services
from crm.imports.models import ImportJob, MatchKey, Mode

router = Router(tags=["imports"])


def _actor(request: HttpRequest) -> Actor:
    # The API's token or session user (api_actor refuses anonymous ones), acting through the import channel.
    return services.import_actor(cast(User, api_actor(request.user).user))


class RejectedRowOut(Schema):
    row: int
    reason: str
    cells: list[str]


class WarningOut(Schema):
    row: int
    message: str


class ImportJobOut(Schema):
    id: int
    object_type: str
    mode: str
    match_key: str
    dry_run: bool
    status: str
    file_name: str
    headers: list[str]
    mapping: list[str] = Field(description="The field code per column; an empty string leaves the column out.")
    total_rows: int
    processed_rows: int
    created_count: int
    updated_count: int
    unchanged_count: int
    rejected_count: int
    warning_count: int
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    reverted_at: dt.datetime | None


class ImportJobDetailOut(ImportJobOut):
    rejected: list[RejectedRowOut] = Field(description="At most the first 1,000 rejected rows.")
    warnings: list[WarningOut]


class ImportJobPage(Schema):
    items: list[ImportJobOut]
    next_cursor: str | None


class ImportJobFilter(Schema):
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


def _out(job: ImportJob, *, details: bool = False) -> dict[str, Any]:
    data = {name: getattr(job, name) for name in ImportJobOut.model_fields}
    if details:
        data["rejected"] = job.rejected[:1000]
        data["warnings"] = job.warnings
    return data


def _mapping(raw: str) -> list[str] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        message = "The mapping must be a JSON list of field codes, one per column."
        raise ValidationFailed(message, errors=[FieldError(field="mapping", message=message)])
    return value


@router.post("", response={202: ImportJobDetailOut, **ERRORS}, operation_id="create_import")
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    object_type: Form[str],
    mode: Form[str] = Mode.UPSERT,
    match_key: Form[str] = MatchKey.EXTERNAL_ID,
    mapping: Form[str] = "",
    dry_run: Form[bool] = False,
) -> tuple[int, dict[str, Any]]:
    """Upload a CSV or XLSX file and start importing it in the background.

    `mapping` is a JSON list with one field code per column (`["name", "mobile", ""]`); left out,
    columns are mapped from their headers. Poll `GET /imports/{id}` for progress and the result.
    """
    actor = _actor(request)
    job = services.import_job_create(
        actor=actor,
        object_type=object_type,
        file_name=file.name or "upload",
        data=file.read(services.MAX_UPLOAD_READ),
        mode=mode,
        match_key=match_key,
        mapping=_mapping(mapping),
        dry_run=dry_run,
    )
    services.import_job_queue(actor=actor, job_id=job.pk)
    return 202, _out(selectors.import_job_get(viewer=actor, job_id=job.pk), details=True)


@router.get("", response={200: ImportJobPage, **ERRORS}, operation_id="list_imports")
def list_imports(request: HttpRequest, filters: Query[ImportJobFilter]) -> dict[str, Any]:
    """Your imports, newest first; follow `next_cursor` for more."""
    page = selectors.import_job_page(viewer=_actor(request), cursor=filters.cursor, size=filters.limit)
    return {"items": [_out(job) for job in page.items], "next_cursor": page.next_cursor}


@router.get("/{job_id}", response={200: ImportJobDetailOut, **ERRORS}, operation_id="get_import")
def get_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return _out(selectors.import_job_get(viewer=_actor(request), job_id=job_id), details=True)


@router.post("/{job_id}/revert", response={200: ImportJobOut, **ERRORS}, operation_id="revert_import")
def revert_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """Bin the records the import created and restore the fields it changed; 409 if one was edited since."""
    return _out(services.import_job_revert(actor=_actor(request), job_id=job_id))
