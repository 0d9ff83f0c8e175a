"""Factories for customers and contacts, with realistic Chinese data."""

from __future__ import annotations

from typing import Any

from crm.core.actors import system_actor
from crm.customers.models import Contact, Customer
from crm.customers.services import contact_create, customer_create
from crm.identity.models import User


def a_customer(owner: User, **values: Any) -> Customer:
    """A customer created through the service, as a user would create it."""
    data: dict[str, Any] = {"name": "上海华信科技有限公司", "grade": "B", "industry": "软件与信息服务"}
    data.update(values)
    data["owner_id"] = owner.pk
    return customer_create(actor=system_actor("test"), values=data)


def a_contact(owner: User, customer: Customer | None = None, **values: Any) -> Contact:
    data: dict[str, Any] = {"name": "张伟", "mobile": "13812345678", "email": "zhang.wei@example.cn"}
    data.update(values)
    data["owner_id"] = owner.pk
    data["customer_id"] = customer.pk if customer else None
    return contact_create(actor=system_actor("test"), values=data)
