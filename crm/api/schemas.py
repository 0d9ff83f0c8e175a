"""Schemas shared by every router: the error shape and a page envelope."""

from __future__ import annotations

from ninja import Schema


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[FieldErrorOut]


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
