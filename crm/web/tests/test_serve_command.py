"""`crm serve` hands gunicorn the production settings: one request per process by default (decision 0004)."""

from __future__ import annotations

import gc
import os
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
    for name in ("CRM_KEEPALIVE", "CRM_THREADS", "CRM_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    _Recorder.seen = {}
    return _Recorder


def test_serve_runs_one_request_per_process_by_default(recorded: type[_Recorder]) -> None:
    # given no worker settings
    # when the server starts
    call_command("serve", "--no-worker", "--port", "18290")
    # then gunicorn runs 2 × CPUs + 1 single-threaded (sync) processes, which close each connection
    assert recorded.seen["worker_class"] == "sync"
    assert recorded.seen["threads"] == 1
    assert recorded.seen["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert recorded.seen["bind"] == "127.0.0.1:18290"


def test_serve_with_threads_keeps_idle_connections_longer_than_a_pause_between_clicks(
    recorded: type[_Recorder],
) -> None:
    # given threads asked for
    # when the server starts
    call_command("serve", "--no-worker", "--threads", "4", "--workers", "2")
    # then the threaded worker keeps an idle connection open 30 s, not gunicorn's 2 s
    assert recorded.seen["worker_class"] == "gthread"
    assert (recorded.seen["threads"], recorded.seen["workers"]) == (4, 2)
    assert recorded.seen["keepalive"] == 30


def test_serve_takes_the_keep_alive_from_the_environment(
    recorded: type[_Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given CRM_KEEPALIVE set by the operator
    monkeypatch.setenv("CRM_KEEPALIVE", "75")
    # when the server starts
    call_command("serve", "--no-worker")
    # then gunicorn gets that value
    assert recorded.seen["keepalive"] == 75


def test_each_worker_freezes_what_loading_the_app_made(recorded: type[_Recorder]) -> None:
    # given the server's options
    call_command("serve", "--no-worker", "--port", "18291")
    hook = recorded.seen["post_worker_init"]
    try:
        # when gunicorn calls the hook in a worker that has loaded the app
        hook(object())
        # then the objects that exist by then are out of the collector's passes
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
