"""Fixtures every test under crm/ uses without asking."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def fast_password_hashing() -> Iterator[None]:
    # Argon2 spends about half a second per hash by design; the org fixture hashes nine passwords.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield
