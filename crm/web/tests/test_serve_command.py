"""`crm serve` hands gunicorn the production settings, idle connections kept open between clicks."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from crm.web.management.commands import serve


class _Recorder:
    """Stands in for gunicorn: keeps the options instead of serving."""

    seen: dict[str, Any] = {}

    def __init__(self, options: dict[str, Any]) -> None:
        _Recorder.seen = options

    def run(self) -> None:
        return None


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> type[_Recorder]:
    monkeypatch.setattr(serve, "_Gunicorn", _Recorder)
    monkeypatch.delenv("CRM_KEEPALIVE", raising=False)
    _Recorder.seen = {}
    return _Recorder


def test_serve_keeps_idle_connections_longer_than_a_pause_between_clicks(recorded: type[_Recorder]) -> None:
    # given no keep-alive setting
    # when the server starts
    call_command("serve", "--no-worker", "--port", "18290")
    # then an idle connection stays open 30 s, not gunicorn's 2 s
    assert recorded.seen["keepalive"] == 30
    assert recorded.seen["worker_class"] == "gthread"
    assert recorded.seen["bind"] == "127.0.0.1:18290"


def test_serve_takes_the_keep_alive_from_the_environment(
    recorded: type[_Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given CRM_KEEPALIVE set by the operator
    monkeypatch.setenv("CRM_KEEPALIVE", "75")
    # when the server starts
    call_command("serve", "--no-worker")
    # then gunicorn gets that value
    assert recorded.seen["keepalive"] == 75
