"""Import wizard screens: upload → mapping → preview → progress → result, and the list of imports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.actors import web_actor
from crm.core.errors import DomainError, NotFound, apply_to_form
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.imports import selectors, services
from crm.imports.forms import OptionsForm, UploadForm
from crm.imports.mapping import field_specs, label_of
from crm.imports.models import ImportJob, JobStatus, ObjectType
from crm.imports.rejected_file import rejected_csv, rejected_xlsx

PAGE_SIZE = 25
REJECTED_SHOWN = 50


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


@login_required
def import_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        page = selectors.import_job_page(viewer=actor, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:
        return redirect("imports:list")
    template = "imports/import_list.html#rows" if is_htmx(request) else "imports/import_list.html"
    return render(request, template, {"page": page, "nav_active": "imports"})


@login_required
@require_http_methods(["GET", "POST"])
def import_upload_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    object_type = request.POST.get("object_type") or request.GET.get("object_type") or ObjectType.LEADS
    if object_type not in ObjectType.values:
        object_type = ObjectType.LEADS
    templates = [
        (template.pk, f"{template.get_object_type_display()} · {template.name}")
        for object_kind in ObjectType.values
        for template in selectors.mapping_template_list(viewer=actor, object_type=object_kind)
    ]
    form = UploadForm(
        request.POST or None, request.FILES or None, templates=templates, initial={"object_type": object_type}
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(
                actor=services.import_actor(request.user),  # type: ignore[arg-type]
                object_type=form.cleaned_data["object_type"],
                file_name=upload.name or "upload",
                data=upload.read(services.MAX_UPLOAD_READ),
                template_id=form.cleaned_data["template"],
            )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            return redirect("imports:mapping", job_id=job.pk)
    return render(request, "imports/import_upload.html", {"form": form, "nav_active": "imports", "step": 1})


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    return selectors.import_job_get(viewer=web_actor(request.user), job_id=job_id)


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping_view(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        job = _job(request, job_id)
    except NotFound:
        return _not_found(request)
    if job.status != JobStatus.DRAFT:
        return redirect("imports:detail", job_id=job.pk)
    form = OptionsForm(request.POST or None, initial={"mode": job.mode, "match_key": job.match_key})
    mapping = job.mapping
    if request.method == "POST":
        mapping = [request.POST.get(f"column_{index}", "") for index in range(len(job.headers))]
        if form.is_valid():
            actor = services.import_actor(request.user)  # type: ignore[arg-type]
            try:
                services.import_job_configure(
                    actor=actor,
                    job_id=job.pk,
                    mapping=mapping,
                    mode=form.cleaned_data["mode"],
                    match_key=form.cleaned_data["match_key"],
                    dry_run=form.cleaned_data["dry_run"],
                )
                if form.cleaned_data["save_as"]:
                    services.mapping_template_save(actor=actor, job_id=job.pk, name=form.cleaned_data["save_as"])
            except DomainError as exc:
                apply_to_form(exc, form)
            else:
                return redirect("imports:preview", job_id=job.pk)
    samples = [cells for _number, cells in job.sample_rows[:3]]
    columns = [
        {"index": index, "header": header, "field": mapping[index] if index < len(mapping) else "",
         "samples": [row[index] for row in samples if index < len(row) and row[index]][:3]}
        for index, header in enumerate(job.headers)
    ]  # fmt: skip
    context = {
        "job": job,
        "form": form,
        "columns": columns,
        "fields": field_specs(job.object_type),
        "nav_active": "imports",
        "step": 2,
    }
    return render(request, "imports/import_mapping.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_preview_view(request: HttpRequest, job_id: int) -> HttpResponse:
    actor = services.import_actor(request.user)  # type: ignore[arg-type]
    try:
        job = _job(request, job_id)
    except NotFound:
        return _not_found(request)
    if job.status != JobStatus.DRAFT:
        return redirect("imports:detail", job_id=job.pk)
    error = ""
    if request.method == "POST":
        try:
            services.import_job_queue(actor=actor, job_id=job.pk)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("imports:detail", job_id=job.pk)
    rows = services.import_job_preview(actor=actor, job_id=job.pk)
    mapped = [(index, label_of(job.object_type, code)) for index, code in enumerate(job.mapping) if code]
    preview = [
        {"row": row, "cells": [row.cells[index] if index < len(row.cells) else "" for index, _label in mapped]}
        for row in rows
    ]
    context = {
        "job": job,
        "labels": [label for _index, label in mapped],
        "preview": preview,
        "rejected": sum(1 for row in rows if row.action == "reject"),
        "error": error,
        "nav_active": "imports",
        "step": 3,
    }
    return render(request, "imports/import_preview.html", context)


@login_required
def import_detail_view(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        job = _job(request, job_id)
    except NotFound:
        return _not_found(request)
    if job.status == JobStatus.DRAFT:
        return redirect("imports:mapping", job_id=job.pk)
    if is_htmx(request) and not job.is_active:
        # The run finished while the page polled: load the whole result page once.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    context = {
        "job": job,
        "rejected": job.rejected[:REJECTED_SHOWN],
        "warnings": job.warnings[:REJECTED_SHOWN],
        "nav_active": "imports",
        "step": 5 if not job.is_active else 4,
    }
    template = "imports/import_detail.html#status" if is_htmx(request) else "imports/import_detail.html"
    return render(request, template, context)


@login_required
def import_rejected_view(request: HttpRequest, job_id: int, file_format: str) -> HttpResponse:
    try:
        job = _job(request, job_id)
    except NotFound:
        return _not_found(request)
    if file_format == "csv":
        response = HttpResponse(rejected_csv(job), content_type="text/csv; charset=utf-8")
    elif file_format == "xlsx":
        response = HttpResponse(
            rejected_xlsx(job), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        return _not_found(request)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-rejected.{file_format}"'
    return response


@login_required
@require_POST
def import_revert_view(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        services.import_job_revert(actor=services.import_actor(request.user), job_id=job_id)  # type: ignore[arg-type]
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The import was reverted."))
    return redirect("imports:detail", job_id=job_id)
