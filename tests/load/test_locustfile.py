"""The load test's user mix (bench/load/), run briefly: a handful of people against `crm serve` on a
fresh SQLite file, through the runner, so the sign-in, every kind of write and the count check are
exercised end to end. Timings are not asserted; the full run is bench/load/run.py's job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def load_run(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    db = ROOT / "var" / f"load_pytest_{os.getpid()}.sqlite3"
    # The runner picks SQLite itself; without DATABASE_URL nothing points it at PostgreSQL.
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DEBUG")}
    command = [
        sys.executable,
        "-m",
        "bench.load.run",
        "--db",
        str(db),
        "--scale",
        "300",
        "--users",
        "8",
        "--managers",
        "1",
        "--finance",
        "2",
        "--spawn-rate",
        "8",
        "--run-time",
        "15s",
        # A brisk pace, so that each person writes several times within the 15 seconds.
        "--think",
        "0.05,0.2",
        "--workers",
        "2",
        "--results",
        str(tmp_path / "results"),
        "--artifacts",
        str(tmp_path / "artifacts"),
        "--delete-db",
    ]
    try:
        completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    finally:
        for suffix in ("", "-wal", "-shm", ".seed.json"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    found = sorted((tmp_path / "results").glob("*-load-sqlite.json"))
    assert found, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed, json.loads(found[-1].read_text(encoding="utf-8"))


def test_user_mix_runs_without_errors_and_every_write_is_counted(
    load_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    # given a fresh demo organisation served by `crm serve`
    # when eight people (five reps, a manager, two finance clerks) use it for 15 seconds
    completed, result = load_run

    # then no request failed, the server logged no error, and nothing was locked
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    overall = result["requests"]["overall"]
    assert overall["failures"] == 0, result["requests"]["failures"]
    assert overall["requests"] > 30
    assert result["server_log"]["status_5xx"] == 0
    assert result["server_log"]["database_is_locked"] == 0
    # and every kind of write happened, each one the clients saw succeed is stored exactly once
    kinds = {kind["kind"]: kind for kind in result["count_check"]["kinds"]}
    assert set(kinds) == {"follow_up", "payment", "deal_move"}
    for kind in kinds.values():
        acknowledged = kind["outcomes"].get("ok", 0)
        assert acknowledged > 0, kind
        assert kind["rows"] >= acknowledged, kind
        assert (kind["lost"], kind["duplicated"], kind["phantom"], kind["misplaced"]) == (0, 0, 0, 0), kind
    assert result["count_check"]["passed"] is True
