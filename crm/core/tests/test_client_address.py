"""The client's address behind trusted reverse proxies, and not fooled by a forged header."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from crm.core.client_address import client_ip

PROXY = "10.0.0.5"


def _request(remote: str, forwarded: str | None = None) -> Any:
    request = RequestFactory().get("/")
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_without_trusted_proxies_the_peer_is_the_client(settings: Any) -> None:
    settings.CRM_TRUSTED_PROXIES = []
    assert client_ip(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_address_it_forwarded_is_the_client(settings: Any) -> None:
    settings.CRM_TRUSTED_PROXIES = [PROXY]
    assert client_ip(_request(PROXY, "203.0.113.9")) == "203.0.113.9"


def test_a_forged_header_from_the_client_is_not_believed(settings: Any) -> None:
    settings.CRM_TRUSTED_PROXIES = [PROXY]
    # the client claims 1.2.3.4; the proxy appended the address it really came from
    assert client_ip(_request(PROXY, "1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    # and a peer that is not a trusted proxy cannot claim another address at all
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_and_a_malformed_entry(settings: Any) -> None:
    settings.CRM_TRUSTED_PROXIES = [PROXY, "10.0.0.6"]
    assert client_ip(_request(PROXY, "203.0.113.9, 10.0.0.6")) == "203.0.113.9"
    assert client_ip(_request(PROXY, "not-an-address")) == PROXY
    assert client_ip(_request(PROXY, "")) == PROXY
