"""Reading an uploaded CSV or XLSX file into a header row and data rows of text cells.

Every problem with the file itself (too big, not a spreadsheet, unknown encoding, broken
quoting) becomes one ValidationFailed on the `file` field naming the problem.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from crm.core.errors import FieldError, ValidationFailed

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_ROWS = 200_000
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


def max_bytes() -> int:
    return int(getattr(settings, "CRM_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "CRM_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass
class Table:
    """The header row and the non-empty data rows, each with its row number in the file."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str = ""


def file_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field="file", message=message)])


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # Phone numbers and ids typed into Excel arrive as floats: 13800138000.0.
        return str(int(value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312, which Excel on Chinese Windows writes.
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise file_error(
            _("The file is not UTF-8 or GBK text. Save it as CSV (UTF-8) or as an Excel workbook.")
        ) from exc


def _table(raw_rows: Any, encoding: str) -> Table:
    limit = max_rows()
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(raw_rows, start=1):
        cells = [_cell_text(value) for value in raw]
        if not any(cells):
            continue  # empty rows are skipped wherever they are
        if headers is None:
            headers = cells
            while headers and not headers[-1]:
                headers.pop()
            continue
        rows.append((number, cells[: len(headers)] + [""] * (len(headers) - len(cells))))
        if len(rows) > limit:
            raise file_error(
                _("The file has more than %(max)s rows. Split it into smaller files.") % {"max": f"{limit:,}"}
            )
    if not headers:
        raise file_error(_("The file is empty: the first row must name the columns."))
    return Table(headers=headers, rows=rows, encoding=encoding)


def _read_csv(data: bytes) -> Table:
    if b"\x00" in data[:4096]:
        raise file_error(_("The file is not a CSV text file. Upload a .csv or .xlsx file."))
    text, encoding = _decode(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return _table(csv.reader(io.StringIO(text, newline=""), dialect), encoding)
    except csv.Error as exc:
        raise file_error(_("The CSV file is malformed: %(problem)s") % {"problem": exc}) from exc


def _read_xlsx(data: bytes) -> Table:
    try:
        # Formulas are read as the text they are written in (=HYPERLINK(...)), never evaluated.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise file_error(_("The Excel file cannot be read; it may be damaged. Save it again as .xlsx.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return _table(sheet.iter_rows(values_only=True), "xlsx")
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise file_error(_("The Excel file cannot be read; it may be damaged. Save it again as .xlsx.")) from exc
    finally:
        workbook.close()


def read_table(data: bytes, file_name: str) -> Table:
    """The header and rows of an uploaded file; XLSX is recognised by content, anything else is CSV."""
    if len(data) > max_bytes():
        limit = max_bytes() // (1024 * 1024)
        raise file_error(_("The file is larger than %(max)d MB. Split it into smaller files.") % {"max": limit})
    if not data.strip():
        raise file_error(_("The file is empty: the first row must name the columns."))
    if data.startswith(_OLE_MAGIC):
        raise file_error(_("Old Excel files (.xls) are not supported. Save the file as .xlsx or CSV."))
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        raise file_error(_("The Excel file cannot be read; it may be damaged. Save it again as .xlsx."))
    return _read_csv(data)
