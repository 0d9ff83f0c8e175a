"""`crm bench` runs the suite from the checkout, passes its options through, and refuses without bench/."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_bench_refuses_when_the_checkout_has_no_bench_folder(settings: Any, tmp_path: Path) -> None:
    # given an installation without the repository's bench/ folder
    settings.BASE_DIR = tmp_path
    # when / then
    with pytest.raises(CommandError, match="bench/ is missing"):
        call_command("bench")


def test_bench_passes_its_options_to_the_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a stand-in for the suite's process
    calls: list[tuple[list[str], dict[str, str]]] = []

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append((command, kwargs["env"]))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", run)
    # when
    call_command("bench", "--", "--scale", "1000", "--only", "customers_*")
    call_command("bench", "--", "--update-query-counts")
    # then the suite gets the options as given, and the baseline update runs the query-count test instead
    (suite, _env), (update, env) = calls
    assert suite[1:] == ["-m", "bench.suite", "--scale", "1000", "--only", "customers_*"]
    assert update[1:5] == ["-m", "pytest", "tests/querycounts", "-q"]
    assert env["CRM_UPDATE_QUERY_COUNTS"] == "1"
