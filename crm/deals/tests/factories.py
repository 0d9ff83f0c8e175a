"""Deals built through the services, as a user would build them."""

from __future__ import annotations

from typing import Any

from crm.core.actors import system_actor
from crm.customers.models import Customer
from crm.customers.tests.factories import a_customer
from crm.deals.models import Deal, Pipeline, Stage, StageKind
from crm.deals.selectors import pipeline_default
from crm.deals.services import deal_create
from crm.identity.models import User


def default_pipeline() -> Pipeline:
    pipeline = pipeline_default()
    assert pipeline is not None
    return pipeline


def stage_named(name: str, pipeline: Pipeline | None = None) -> Stage:
    return Stage.objects.get(pipeline=pipeline or default_pipeline(), name=name)


def open_stages(pipeline: Pipeline | None = None) -> list[Stage]:
    return list(Stage.objects.filter(pipeline=pipeline or default_pipeline(), kind=StageKind.OPEN).order_by("position"))


def a_deal(owner: User, customer: Customer | None = None, **values: Any) -> Deal:
    """A deal in the first stage of the default pipeline."""
    data: dict[str, Any] = {"name": "云桌面采购项目", "amount": "120000.00"}
    data.update(values)
    data["owner_id"] = owner.pk
    data["customer_id"] = (customer or a_customer(owner)).pk
    return deal_create(actor=system_actor("test"), values=data)
