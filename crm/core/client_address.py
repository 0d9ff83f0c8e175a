"""The address a request came from, seen through the reverse proxies the operator trusts.

Behind nginx every request arrives from the proxy's address. The proxy appends the address it
received the request from to `X-Forwarded-For`; anyone can send that header too, so it is read only
when the request came from a trusted proxy (`TRUSTED_PROXIES`), and from the right: the last address
that is not a trusted proxy is the client. Limits that count per address (sign-in failures, web form
submissions) would otherwise count every visitor together.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote: str | None = request.META.get("REMOTE_ADDR") or None
    trusted = set(getattr(settings, "CRM_TRUSTED_PROXIES", []))
    if remote is None or remote not in trusted:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if address not in trusted:
            return address if _is_address(address) else remote
    return remote


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
