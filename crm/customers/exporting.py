"""Exports of exactly what a list shows (same filters, columns and masking), as CSV or XLSX.

Rows stream from the database in chunks: CSV is streamed to the client as it is written;
XLSX is written row by row in openpyxl's write-only mode to a temporary file.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

from crm.core.actors import Actor
from crm.customers.presentation import Column, row_values
from crm.customers.services import export_record

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: str) -> str:
    """A cell a spreadsheet will show as text: one starting like a formula gets a leading quote.

    Without it, `=HYPERLINK(...)` typed into a CRM field would run as a formula in Excel.
    """
    return f"'{value}" if value.startswith(FORMULA_LEADS) else value


def _safe_row(values: Sequence[str]) -> list[str]:
    return [formula_safe(value) if isinstance(value, str) else value for value in values]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(actor: Actor, columns: Sequence[Column], records: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark lets Excel open UTF-8 Chinese text correctly.
    yield "\ufeff" + writer.writerow([str(column.label) for column in columns])
    for record in records:
        yield writer.writerow(_safe_row(row_values(actor, record, columns)))


def export_response(
    *,
    actor: Actor,
    object_type: str,
    file_stem: str,
    file_format: str,
    columns: Sequence[Column],
    records: Iterable[Any],
    filters: dict[str, Any],
) -> HttpResponse | StreamingHttpResponse:
    """Build the download and write the audit entry for it."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "csv":
        # Streamed rows are not counted in advance; the entry is written before the first byte
        # leaves, so an export can never happen without its audit entry.
        with transaction.atomic():
            export_record(actor=actor, object_type=object_type, row_count=None, file_format="csv", filters=filters)
        response = StreamingHttpResponse(_csv_lines(actor, columns, records), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{file_stem}-{stamp}.csv"'
        return response
    if file_format == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append([str(column.label) for column in columns])
        count = 0
        for record in records:
            sheet.append(_safe_row(row_values(actor, record, columns)))
            count += 1
        handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
        workbook.save(handle)
        handle.seek(0)
        with transaction.atomic():
            export_record(actor=actor, object_type=object_type, row_count=count, file_format="xlsx", filters=filters)
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{file_stem}-{stamp}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return HttpResponse(status=404)
