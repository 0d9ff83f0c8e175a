"""Contract tests: seeded pipelines and discount limits, and uploads kept in a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm.deals.tests.conftest import ensure_default_pipeline
from crm.quotes.tests.conftest import ensure_discount_limits


@pytest.fixture(autouse=True)
def _seeded(db: None) -> None:
    ensure_default_pipeline()
    ensure_discount_limits()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
