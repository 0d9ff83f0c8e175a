"""Pipelines and discount limits come from data migrations that transactional tests flush away."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from crm.deals.tests.conftest import ensure_default_pipeline


def ensure_discount_limits() -> None:
    seed = importlib.import_module("crm.quotes.migrations.0002_default_discount_limits")
    seed.seed(apps, None)


@pytest.fixture(autouse=True)
def _seeded(db: None) -> None:
    ensure_default_pipeline()
    ensure_discount_limits()
