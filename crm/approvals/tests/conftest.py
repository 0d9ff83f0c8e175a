from __future__ import annotations

import pytest

from crm.approvals.tests.factories import register_memo


@pytest.fixture(autouse=True)
def _memo_kind() -> None:
    register_memo()
