"""Customers and contacts API: `/api/v1/customers`, `/api/v1/contacts`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from crm.api.schemas import ERRORS
from crm.core.actors import Actor, api_actor
from crm.customers import selectors, services
from crm.customers.models import Contact, Customer
from crm.customers.presentation import shown_email, shown_phone

customers_router = Router(tags=["customers"])
contacts_router = Router(tags=["contacts"])


def _actor(request: HttpRequest) -> Actor:
    return api_actor(request.user)


class UserRef(Schema):
    id: int
    name: str


class CustomerIn(Schema):
    name: str
    credit_code: str = ""
    grade: str = ""
    tags: list[str] = []
    industry: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    postcode: str = ""
    size: str = ""
    annual_revenue: Decimal | None = None
    revenue_currency: str = "CNY"
    website: str = ""
    phone: str = ""
    email: str = ""
    source: str = ""
    lifecycle_stage: str = "prospect"
    notes: str = ""
    owner_id: int | None = None
    external_id: str | None = None


class CustomerPatch(Schema):
    version: int = Field(description="The version you read; a newer one on the server gives 409.")
    name: str | None = None
    credit_code: str | None = None
    grade: str | None = None
    tags: list[str] | None = None
    industry: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None
    postcode: str | None = None
    size: str | None = None
    annual_revenue: Decimal | None = None
    revenue_currency: str | None = None
    website: str | None = None
    phone: str | None = None
    email: str | None = None
    source: str | None = None
    lifecycle_stage: str | None = None
    notes: str | None = None
    owner_id: int | None = None
    external_id: str | None = None


class CustomerOut(Schema):
    id: int
    version: int
    name: str
    credit_code: str
    grade: str
    tags: list[str]
    industry: str
    province: str
    city: str
    district: str
    street: str
    postcode: str
    size: str
    annual_revenue: Decimal | None
    revenue_currency: str
    website: str
    phone: str
    email: str
    source: str
    lifecycle_stage: str
    notes: str
    owner: UserRef
    team_id: int | None
    external_id: str | None
    last_follow_up_at: dt.datetime | None
    neglected_since: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


class CustomerFilter(Schema):
    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    grade: str = ""
    tag: str = ""
    industry: str = ""
    province: str = ""
    city: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    updated_from: dt.date | None = None
    updated_to: dt.date | None = None
    neglected: bool = False
    sort: str = Field("-created_at", pattern=r"^(-created_at|created_at|-updated_at|name)$")
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


def customer_out(actor: Actor, customer: Customer) -> dict[str, Any]:
    data = {field: getattr(customer, field) for field in CustomerOut.model_fields if hasattr(customer, field)}
    data["tags"] = [tag.name for tag in customer.tags.all()]
    data["phone"] = shown_phone(actor, customer, customer.phone)
    data["email"] = shown_email(actor, customer, customer.email)
    data["owner"] = {"id": customer.owner_id, "name": str(customer.owner)}
    return data


@customers_router.get("", response={200: CustomerPage, **ERRORS}, operation_id="list_customers")
def list_customers(request: HttpRequest, filters: Query[CustomerFilter]) -> dict[str, Any]:
    """Customers you may see, newest first by default; follow `next_cursor` for more."""
    actor = _actor(request)
    values = filters.dict(exclude={"cursor", "limit"})
    page = selectors.customer_page(
        viewer=actor, filters=selectors.CustomerFilters(**values), cursor=filters.cursor, size=filters.limit
    )
    return {"items": [customer_out(actor, c) for c in page.items], "next_cursor": page.next_cursor}


@customers_router.post("", response={201: CustomerOut, **ERRORS}, operation_id="create_customer")
def create_customer(
    request: HttpRequest, payload: CustomerIn, allow_duplicates: bool = False
) -> tuple[int, dict[str, Any]]:
    """Likely duplicates give 409 with code `duplicate` and the `candidates`; `?allow_duplicates=true` confirms."""
    actor = _actor(request)
    customer = services.customer_create(actor=actor, values=payload.dict(), allow_duplicates=allow_duplicates)
    return 201, customer_out(actor, selectors.customer_get(viewer=actor, customer_id=customer.pk))


@customers_router.get("/{customer_id}", response={200: CustomerOut, **ERRORS}, operation_id="get_customer")
def get_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    actor = _actor(request)
    return customer_out(actor, selectors.customer_get(viewer=actor, customer_id=customer_id))


@customers_router.patch("/{customer_id}", response={200: CustomerOut, **ERRORS}, operation_id="update_customer")
def update_customer(
    request: HttpRequest, customer_id: int, payload: CustomerPatch, allow_duplicates: bool = False
) -> dict[str, Any]:
    """Change the fields you send. Send the `version` you read: a newer one gives 409 with the changes."""
    actor = _actor(request)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    services.customer_update(
        actor=actor, customer_id=customer_id, version=version, values=values, allow_duplicates=allow_duplicates
    )
    return customer_out(actor, selectors.customer_get(viewer=actor, customer_id=customer_id))


@customers_router.delete("/{customer_id}", response={204: None, **ERRORS}, operation_id="delete_customer")
def delete_customer(request: HttpRequest, customer_id: int) -> tuple[int, None]:
    """Move the customer to the recycle bin (restorable)."""
    services.customer_delete(actor=_actor(request), customer_id=customer_id)
    return 204, None


@customers_router.post("/{customer_id}/restore", response={200: CustomerOut, **ERRORS}, operation_id="restore_customer")
def restore_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    actor = _actor(request)
    services.customer_restore(actor=actor, customer_id=customer_id)
    return customer_out(actor, selectors.customer_get(viewer=actor, customer_id=customer_id))


class ContactIn(Schema):
    name: str
    customer_id: int | None = None
    title: str = ""
    deal_role: str = ""
    mobile: str = ""
    phone: str = ""
    email: str = ""
    wechat: str = ""
    address: str = ""
    birthday: dt.date | None = None
    notes: str = ""
    owner_id: int | None = None
    external_id: str | None = None


class ContactPatch(Schema):
    version: int
    name: str | None = None
    customer_id: int | None = None
    title: str | None = None
    deal_role: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    address: str | None = None
    birthday: dt.date | None = None
    notes: str | None = None
    owner_id: int | None = None
    external_id: str | None = None


class ContactOut(Schema):
    id: int
    version: int
    name: str
    customer_id: int | None
    title: str
    deal_role: str
    mobile: str
    phone: str
    email: str
    wechat: str
    address: str
    birthday: dt.date | None
    notes: str
    owner: UserRef
    team_id: int | None
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactFilter(Schema):
    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    deal_role: str = ""
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    updated_from: dt.date | None = None
    updated_to: dt.date | None = None
    sort: str = Field("-created_at", pattern=r"^(-created_at|created_at|-updated_at|name)$")
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


def contact_out(actor: Actor, contact: Contact) -> dict[str, Any]:
    data = {field: getattr(contact, field) for field in ContactOut.model_fields if hasattr(contact, field)}
    data["mobile"] = shown_phone(actor, contact, contact.mobile)
    data["phone"] = shown_phone(actor, contact, contact.phone)
    data["email"] = shown_email(actor, contact, contact.email)
    data["owner"] = {"id": contact.owner_id, "name": str(contact.owner)}
    return data


@contacts_router.get("", response={200: ContactPage, **ERRORS}, operation_id="list_contacts")
def list_contacts(request: HttpRequest, filters: Query[ContactFilter]) -> dict[str, Any]:
    actor = _actor(request)
    values = filters.dict(exclude={"cursor", "limit"})
    page = selectors.contact_page(
        viewer=actor, filters=selectors.ContactFilters(**values), cursor=filters.cursor, size=filters.limit
    )
    return {"items": [contact_out(actor, c) for c in page.items], "next_cursor": page.next_cursor}


@contacts_router.post("", response={201: ContactOut, **ERRORS}, operation_id="create_contact")
def create_contact(
    request: HttpRequest, payload: ContactIn, allow_duplicates: bool = False
) -> tuple[int, dict[str, Any]]:
    """Likely duplicates give 409 with code `duplicate` and the `candidates`; `?allow_duplicates=true` confirms."""
    actor = _actor(request)
    contact = services.contact_create(actor=actor, values=payload.dict(), allow_duplicates=allow_duplicates)
    return 201, contact_out(actor, selectors.contact_get(viewer=actor, contact_id=contact.pk))


@contacts_router.get("/{contact_id}", response={200: ContactOut, **ERRORS}, operation_id="get_contact")
def get_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    actor = _actor(request)
    return contact_out(actor, selectors.contact_get(viewer=actor, contact_id=contact_id))


@contacts_router.patch("/{contact_id}", response={200: ContactOut, **ERRORS}, operation_id="update_contact")
def update_contact(
    request: HttpRequest, contact_id: int, payload: ContactPatch, allow_duplicates: bool = False
) -> dict[str, Any]:
    actor = _actor(request)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    services.contact_update(
        actor=actor, contact_id=contact_id, version=version, values=values, allow_duplicates=allow_duplicates
    )
    return contact_out(actor, selectors.contact_get(viewer=actor, contact_id=contact_id))


@contacts_router.delete("/{contact_id}", response={204: None, **ERRORS}, operation_id="delete_contact")
def delete_contact(request: HttpRequest, contact_id: int) -> tuple[int, None]:
    services.contact_delete(actor=_actor(request), contact_id=contact_id)
    return 204, None


@contacts_router.post("/{contact_id}/restore", response={200: ContactOut, **ERRORS}, operation_id="restore_contact")
def restore_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    actor = _actor(request)
    services.contact_restore(actor=actor, contact_id=contact_id)
    return contact_out(actor, selectors.contact_get(viewer=actor, contact_id=contact_id))
