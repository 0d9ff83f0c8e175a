"""Contracts API: `/api/v1/contracts`: list, read, create, change, submit, terminate, files and the PDF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema, UploadedFile
from pydantic import Field

from crm.api.schemas import ERRORS
from crm.contracts import selectors, services
from crm.contracts.models import Contract, ContractAttachment
from crm.contracts.pdf import contract_pdf, pdf_filename
from crm.core.actors import Actor, api_actor

router = Router(tags=["contracts"])


def _actor(request: HttpRequest) -> Actor:
    return api_actor(request.user)


class Ref(Schema):
    id: int
    name: str


class LineIn(Schema):
    product_id: int | None = None
    name: str = ""
    sku: str = ""
    unit: str = ""
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    discount_percent: Decimal = Decimal(0)
    tax_rate: Decimal | None = None


class LineOut(Schema):
    id: int
    product_id: int | None
    name: str
    sku: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    total: Decimal


class AttachmentOut(Schema):
    id: int
    file_name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime
    uploaded_by: Ref | None


class ContractIn(Schema):
    customer_id: int | None = Field(None, description="Required unless `deal_id` is given.")
    deal_id: int | None = Field(None, description="A won deal: customer, amount and quote lines are carried over.")
    title: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    signed_on: dt.date | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    our_party: str | None = None
    customer_party: str | None = None
    owner_id: int | None = None
    notes: str | None = None
    external_id: str | None = None
    lines: list[LineIn] | None = None


class ContractPatch(Schema):
    version: int = Field(description="The version you read; a newer one on the server gives 409.")
    title: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    signed_on: dt.date | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    our_party: str | None = None
    customer_party: str | None = None
    owner_id: int | None = None
    notes: str | None = None
    external_id: str | None = None
    lines: list[LineIn] | None = Field(None, description="Replaces every line when given.")


class VersionIn(Schema):
    version: int


class TerminateIn(Schema):
    version: int
    reason: str


class ContractRow(Schema):
    id: int
    version: int
    number: str
    title: str
    customer: Ref
    status: str
    amount: Decimal
    currency: str
    signed_on: dt.date | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    owner: Ref
    team_id: int | None


class ContractOut(ContractRow):
    deal_id: int | None
    quote_id: int | None
    our_party: str
    customer_party: str
    notes: str
    external_id: str | None
    submitted_at: dt.datetime | None
    activated_at: dt.datetime | None
    terminated_at: dt.datetime | None
    termination_reason: str
    lines: list[LineOut]
    attachments: list[AttachmentOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class ContractPage(Schema):
    items: list[ContractRow]
    next_cursor: str | None


class ContractFilter(Schema):
    q: str = ""
    status: str = Field("", pattern=r"^(|draft|pending_approval|active|expired|terminated)$")
    owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    deal_id: int | None = None
    signed_from: dt.date | None = None
    signed_to: dt.date | None = None
    ending_within: int | None = Field(None, ge=0, le=3650, description="Active contracts ending within N days.")
    sort: str = Field(
        "",
        pattern=r"^(|-created_at|-amount|number|ends_on)$",
        description="Empty: newest first, or soonest end date first with `ending_within`.",
    )
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


def _ref(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, "name": str(obj)}


def contract_row(contract: Contract) -> dict[str, Any]:
    return {
        "id": contract.pk,
        "version": contract.version,
        "number": contract.number,
        "title": contract.title,
        "customer": {"id": contract.customer_id, "name": contract.customer.name},
        "status": contract.status,
        "amount": contract.amount,
        "currency": contract.currency,
        "signed_on": contract.signed_on,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "owner": _ref(contract.owner),
        "team_id": contract.team_id,
    }


def _attachment_out(attachment: ContractAttachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "file_name": attachment.file_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "uploaded_at": attachment.uploaded_at,
        "uploaded_by": _ref(attachment.uploaded_by) if attachment.uploaded_by else None,
    }


def contract_out(actor: Actor, contract_id: int) -> dict[str, Any]:
    contract = selectors.contract_get(viewer=actor, contract_id=contract_id)
    data = contract_row(contract)
    for name in (
        "deal_id",
        "quote_id",
        "our_party",
        "customer_party",
        "notes",
        "external_id",
        "submitted_at",
        "activated_at",
        "terminated_at",
        "termination_reason",
        "created_at",
        "updated_at",
    ):
        data[name] = getattr(contract, name)
    data["lines"] = [
        {name: getattr(line, name) for name in LineOut.model_fields}
        for line in selectors.contract_lines(contract=contract)
    ]
    data["attachments"] = [_attachment_out(a) for a in selectors.contract_attachments(contract=contract)]
    return data


def _lines(lines: list[LineIn] | None) -> list[dict[str, Any]] | None:
    if lines is None:
        return None
    return [{key: value for key, value in line.dict().items() if value is not None} for line in lines]


@router.get("", response={200: ContractPage, **ERRORS}, operation_id="list_contracts")
def list_contracts(request: HttpRequest, filters: Query[ContractFilter]) -> dict[str, Any]:
    """Contracts you may see (your own, your teams', or all for finance); follow `next_cursor` for more."""
    actor = _actor(request)
    values = filters.dict(exclude={"cursor", "limit"})
    page = selectors.contract_page(
        viewer=actor, filters=selectors.ContractFilters(**values), cursor=filters.cursor, size=filters.limit
    )
    return {"items": [contract_row(c) for c in page.items], "next_cursor": page.next_cursor}


@router.post("", response={201: ContractOut, **ERRORS}, operation_id="create_contract")
def create_contract(request: HttpRequest, payload: ContractIn) -> tuple[int, dict[str, Any]]:
    """Draft a contract on a customer, or from a won deal with `deal_id`. The number comes from the pattern."""
    actor = _actor(request)
    values = {key: value for key, value in payload.dict(exclude={"lines"}).items() if value is not None}
    lines = _lines(payload.lines)
    if lines is not None:
        values["lines"] = lines
    if payload.deal_id is not None:
        values.pop("customer_id", None)
        deal_id = values.pop("deal_id")
        contract = services.contract_create_from_deal(actor=actor, deal_id=deal_id, values=values)
    else:
        contract = services.contract_create(actor=actor, values=values)
    return 201, contract_out(actor, contract.pk)


@router.get("/{contract_id}", response={200: ContractOut, **ERRORS}, operation_id="get_contract")
def get_contract(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    return contract_out(_actor(request), contract_id)


@router.patch("/{contract_id}", response={200: ContractOut, **ERRORS}, operation_id="update_contract")
def update_contract(request: HttpRequest, contract_id: int, payload: ContractPatch) -> dict[str, Any]:
    """Change a draft. Send the `version` you read: a newer one gives 409; a locked contract gives 409 too."""
    actor = _actor(request)
    values = payload.dict(exclude_unset=True, exclude={"lines"})
    version = values.pop("version")
    if "lines" in payload.model_fields_set:
        values["lines"] = _lines(payload.lines) or []
    services.contract_update(actor=actor, contract_id=contract_id, version=version, values=values)
    return contract_out(actor, contract_id)


@router.post("/{contract_id}/submit", response={200: ContractOut, **ERRORS}, operation_id="submit_contract")
def submit_contract(request: HttpRequest, contract_id: int, payload: VersionIn) -> dict[str, Any]:
    """Send a draft to approval; it is locked until the approval is decided."""
    actor = _actor(request)
    services.contract_submit(actor=actor, contract_id=contract_id, version=payload.version)
    return contract_out(actor, contract_id)


@router.post("/{contract_id}/terminate", response={200: ContractOut, **ERRORS}, operation_id="terminate_contract")
def terminate_contract(request: HttpRequest, contract_id: int, payload: TerminateIn) -> dict[str, Any]:
    actor = _actor(request)
    services.contract_terminate(actor=actor, contract_id=contract_id, version=payload.version, reason=payload.reason)
    return contract_out(actor, contract_id)


@router.delete("/{contract_id}", response={204: None, **ERRORS}, operation_id="delete_contract")
def delete_contract(request: HttpRequest, contract_id: int) -> tuple[int, None]:
    """Move a draft to the recycle bin."""
    services.contract_delete(actor=_actor(request), contract_id=contract_id)
    return 204, None


@router.get("/{contract_id}/pdf", response={200: None, **ERRORS}, operation_id="download_contract_pdf")
def download_contract_pdf(request: HttpRequest, contract_id: int, template_id: int | None = None) -> HttpResponse:
    """The contract as a PDF from a template (the default one unless `template_id` is given)."""
    contract = selectors.contract_get(viewer=_actor(request), contract_id=contract_id)
    response = HttpResponse(contract_pdf(contract, template_id=template_id), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(contract)}"'
    return response


@router.post(
    "/{contract_id}/attachments", response={201: AttachmentOut, **ERRORS}, operation_id="upload_contract_attachment"
)
def upload_contract_attachment(
    request: HttpRequest, contract_id: int, file: File[UploadedFile]
) -> tuple[int, dict[str, Any]]:
    """Add a PDF, JPG or PNG (the signed scan) as multipart form data in the field `file`."""
    attachment = services.attachment_add(actor=_actor(request), contract_id=contract_id, upload=file)
    return 201, _attachment_out(attachment)


@router.get(
    "/{contract_id}/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    operation_id="download_contract_attachment",
)
def download_contract_attachment(request: HttpRequest, contract_id: int, attachment_id: int) -> FileResponse:
    attachment = selectors.attachment_get(viewer=_actor(request), contract_id=contract_id, attachment_id=attachment_id)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.file_name,
        content_type=attachment.content_type,
    )
