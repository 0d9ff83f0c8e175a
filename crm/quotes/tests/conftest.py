"""Pipelines, discount limits and the quote approval flow come from data migrations that transactional
tests flush away."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from crm.deals.tests.conftest import ensure_default_pipeline


def ensure_discount_limits() -> None:
    seed = importlib.import_module("crm.quotes.migrations.0002_default_discount_limits")
    seed.seed(apps, None)


def ensure_quote_approval_flow() -> None:
    seed = importlib.import_module("crm.quotes.migrations.0003_default_quote_approval_flow")
    seed.seed(apps, None)


@pytest.fixture(autouse=True)
def _seeded(db: None) -> None:
    ensure_default_pipeline()
    ensure_discount_limits()
    ensure_quote_approval_flow()
