"""API authentication: personal tokens (`Authorization: Bearer crm_…`) or the web session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from crm.identity.selectors import token_find
from crm.identity.services import hash_token, token_touch


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_find(token_hash=hash_token(token))
        if found is None:
            return None
        token_touch(token=found)
        request.user = found.user
        return found.user


class TokenHeaderAuth(APIKeyHeader):
    """`X-API-Key: crm_…` for tools that cannot send a bearer header."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        return TokenAuth().authenticate(request, key)


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and getattr(user, "is_active", False):
            return user
        return None


AUTH = [TokenAuth(), TokenHeaderAuth(), ActiveSessionAuth()]
