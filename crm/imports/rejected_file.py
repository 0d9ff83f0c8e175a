"""The downloadable file of rejected rows: the original cells plus the row number and the reason.

Cells that would start a formula in a spreadsheet are written as text (crm.customers.exporting).
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from crm.customers.exporting import formula_safe
from crm.imports.models import ImportJob


def _rows(job: ImportJob) -> list[list[str]]:
    header = [_("Row"), _("Reason"), *job.headers]
    body = [[str(item["row"]), item["reason"], *item["cells"]] for item in job.rejected]
    return [[formula_safe(cell) for cell in row] for row in [header, *body]]


def rejected_csv(job: ImportJob) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(_rows(job))
    # A byte-order mark lets Excel open UTF-8 Chinese text correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def rejected_xlsx(job: ImportJob) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Rejected rows"))[:31])
    for row in _rows(job):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
