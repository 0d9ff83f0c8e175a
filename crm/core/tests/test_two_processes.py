"""CPU-bound work split over this process and a forked child.

Each scenario runs in a fresh interpreter (crm/core/tests/two_process_scenarios.py), so that what
is forked is known: not a test worker with its test database and threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crm.core import two_processes
from crm.core.two_processes import in_two_processes

SCENARIOS = Path(__file__).with_name("two_process_scenarios.py")
ROOT = Path(__file__).resolve().parents[3]


def _run(scenario: str, tmp_path: Path) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'scenario.sqlite3'}", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(  # noqa: S603 - this interpreter, a file of this repository
        [sys.executable, str(SCENARIOS), scenario], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def test_the_second_half_runs_in_a_child_and_the_results_keep_their_order(tmp_path: Path) -> None:
    # when ten items are worked on in a process with one thread, on this machine (Linux, two cores)
    outcome = _run("split", tmp_path)

    # then every index comes back once, in order: the first half from that process, the second from another
    parent, results = outcome["parent"], outcome["results"]
    assert outcome["may_fork"] is True
    assert [index for index, _pid in results] == list(range(10))
    assert {pid for _index, pid in results[:5]} == {parent}
    assert parent not in {pid for _index, pid in results[5:]}


def test_a_child_that_queries_the_database_is_stopped_and_its_half_redone_here(tmp_path: Path) -> None:
    # when the work reads the database (which a child must not: the connection is the parent's)
    outcome = _run("querying", tmp_path)

    # then the child's query was refused, the parent did both halves, and its connection still works
    assert outcome["results"] == [[index, outcome["parent"]] for index in range(8)]
    assert outcome["still_works"] is True


def test_a_child_that_dies_has_its_half_redone_here(tmp_path: Path) -> None:
    outcome = _run("dying", tmp_path)

    assert outcome["results"] == [[index, outcome["parent"]] for index in range(8)]


def test_a_child_that_hangs_is_stopped_at_its_deadline_and_its_half_redone_here(tmp_path: Path) -> None:
    outcome = _run("hanging", tmp_path)

    # (the deadline: the parent's own half took milliseconds, plus one second)
    assert outcome["results"] == [[index, outcome["parent"]] for index in range(8)]
    assert outcome["seconds"] < 30


def test_a_failure_in_this_half_is_raised_at_once_and_the_child_stopped(tmp_path: Path) -> None:
    outcome = _run("failing_here", tmp_path)

    assert outcome["error"] == "bad row"
    assert outcome["seconds"] < 20  # not the 30 s and more of the child's deadline
    assert outcome["children"] == 0


def test_a_process_with_another_thread_forks_too(tmp_path: Path) -> None:
    outcome = _run("with_a_thread", tmp_path)

    assert [index for index, _pid in outcome["results"]] == list(range(10))
    assert outcome["parent"] not in {pid for _index, pid in outcome["results"][5:]}


def test_little_work_or_one_core_stays_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # when a few items are worked on, and then enough for two processes on a machine with one core
    few = in_two_processes(3, lambda indexes: [os.getpid() for _ in indexes])
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    many = in_two_processes(two_processes.MIN_ITEMS * 2, lambda indexes: [os.getpid() for _ in indexes])

    # then all of it ran here
    assert set(many) == set(few) == {os.getpid()}
