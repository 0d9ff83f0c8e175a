"""Building upload files for the tests: CSV in a chosen encoding and XLSX workbooks."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(",".join(_quoted(cell) for cell in row) for row in rows) + "\r\n"
    return text.encode(encoding)


def _quoted(cell: str) -> str:
    return f'"{cell.replace(chr(34), chr(34) * 2)}"' if any(ch in cell for ch in ',"\n') else cell


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
