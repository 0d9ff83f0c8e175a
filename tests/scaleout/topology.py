"""Start and stop the scale-out set-up on this machine: a fresh PostgreSQL database, app servers
(`crm serve --no-worker`) and workers (`crm worker` on the Redis backend), each a process of its own.

Every process runs in its own session, so stopping it stops its children too (gunicorn's workers);
whatever happens in the test, `Topology.close()` stops them all and drops the database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(18100, 18200)


def free_port(taken: set[int]) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def wait_for[T](what: str, check: Callable[[], T | None], *, timeout: float, every: float = 0.2) -> T:
    """Poll `check` until it returns something other than None (or False)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Topology:
    """The processes of one scale-out set-up and the database they share."""

    server_url: str  # any database on the PostgreSQL server, for CREATE / DROP DATABASE
    database: str
    redis_url: str
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return database_url(self.server_url, self.database)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.url,
            "TASK_BACKEND": "redis",
            "REDIS_URL": self.redis_url,
            "CRM_EMBEDDED_WORKER": "0",
            "PYTHONUNBUFFERED": "1",
        }

    def admin_sql(self, statement: sql.Composed) -> None:
        with psycopg.connect(database_url(self.server_url, "postgres"), autocommit=True) as admin:
            admin.execute(statement)

    def create_database(self) -> None:
        self.drop_database()  # left over from an earlier run that was itself killed
        self.admin_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))

    def drop_database(self) -> None:
        self.admin_sql(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.database)))

    def crm(self, *arguments: str) -> None:
        """Run one `crm` command to completion (migrate, createadmin)."""
        done = subprocess.run(
            [sys.executable, "-m", "crm.cli", *arguments],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, f"crm {' '.join(arguments)} failed:\n{done.stdout.decode()}{done.stderr.decode()}"

    def start(self, name: str, *arguments: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "crm.cli", *arguments],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the child has its own copy
        self.processes[name] = process
        return process

    def start_server(self, name: str) -> str:
        port = free_port(set(self.ports.values()))
        self.ports[name] = port
        self.start(name, "serve", "--no-worker", "--port", str(port), "--workers", "1", "--threads", "2")
        return f"http://127.0.0.1:{port}"

    def wait_until_serving(self, base_url: str) -> None:
        def healthy() -> bool:
            try:
                return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(f"{base_url} to answer", healthy, timeout=60)

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def close(self, *, grace: float = 5.0) -> None:
        """Stop every process (politely, then not), then drop the database."""
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
        for process in self.processes.values():
            _signal_group(process, signal.SIGKILL)  # children a stopped parent may have left behind
        self.drop_database()


def _signal_group(process: subprocess.Popen[bytes], number: signal.Signals) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        return
