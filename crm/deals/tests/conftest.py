"""The default pipeline comes from a data migration that transactional tests flush away."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps


def ensure_default_pipeline() -> None:
    seed = importlib.import_module("crm.deals.migrations.0003_default_pipeline")
    seed.seed(apps, None)


@pytest.fixture(autouse=True)
def _default_pipeline(db: None) -> None:
    ensure_default_pipeline()
