"""The real server: `crm` subcommands, `crm serve` (gunicorn) on a loopback port, signed-in HTTP clients."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
# The ports this suite may listen on; the first free one is taken.
PORTS = range(18400, 18500)
PASSWORD = "demo1234"  # noqa: S105  (the demo accounts' published password)
SERVER_START_TIMEOUT = 120.0
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def crm_command(args: list[str]) -> list[str]:
    """`crm ARGS` with the interpreter running this suite, so no installed entry point is needed."""
    return [sys.executable, "-m", "crm.cli", *args]


def run_crm(args: list[str], env: dict[str, str]) -> float:
    """Run a `crm` command to completion; its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(crm_command(args), env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started


def free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1} on {HOST}")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int  # gunicorn's master; its children are the web workers (and the background worker, if any)


@contextmanager
def crm_server(
    env: dict[str, str],
    workers: int,
    log: Path,
    port: int | None = None,
    *,
    threads: int | None = None,
    background_worker: bool = False,
    access_log: bool = False,
) -> Iterator[Server]:
    """`crm serve` (gunicorn) for the duration of the block, always stopped.

    The suite runs no background worker beside it: the periodic jobs (stalled-deal and neglect scans
    among them) would otherwise run during the timings and change the data being measured. The load
    test runs one, as production does, and reads the access log to count the server's own 5xx answers.
    """
    port = port or free_port()
    base = f"http://{HOST}:{port}"
    args = ["serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    if threads is not None:
        args += ["--threads", str(threads)]
    if not background_worker:
        args.append("--no-worker")
    server_env = {**env, "CRM_ACCESS_LOG": "1"} if access_log else env
    with log.open("wb") as output:
        server = subprocess.Popen(
            crm_command(args), env=server_env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"crm serve exited with {server.returncode}; see {log}")
                with suppress(httpx.TransportError):
                    if httpx.get(f"{base}/login/", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"crm serve did not answer within {SERVER_START_TIMEOUT:.0f} s; see {log}")
                time.sleep(0.25)
            yield Server(url=base, pid=server.pid)
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)  # gunicorn's graceful stop of master and workers
                with suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=30)
            # A worker stuck in a request outlives its master; the server runs in its own session,
            # so its process group holds only the server's processes.
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


class Session:
    """A keep-alive HTTP client signed in through the real login form, as a browser is."""

    def __init__(self, base: str, username: str) -> None:
        self.username = username
        self.client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
        self.base = base
        form = self.client.get("/login/")
        token = _CSRF_FIELD.search(form.text)
        if form.status_code != 200 or token is None:
            raise RuntimeError(f"no sign-in form at /login/ (HTTP {form.status_code})")
        answer = self.client.post(
            "/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{base}/login/"},
        )
        if answer.status_code != 302 or "sessionid" not in self.client.cookies:
            raise RuntimeError(f"signing in as {username} failed (HTTP {answer.status_code})")
        self._csrf = ""

    def csrf_token(self) -> str:
        """The CSRF token the signed-in client's forms carry (read once from the lead form)."""
        if not self._csrf:
            page = self.client.get("/leads/new/")
            found = _CSRF_FIELD.search(page.text)
            if found is None:
                raise RuntimeError(f"no CSRF token on /leads/new/ (HTTP {page.status_code})")
            self._csrf = found.group(1)
        return self._csrf

    def send(self, method: str, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        if method == "GET":
            return self.client.get(path)
        return self.client.post(
            path,
            data={**(data or {}), "csrfmiddlewaretoken": self.csrf_token()},
            headers={"Referer": f"{self.base}/leads/new/", "HX-Request": "true"},
        )

    def close(self) -> None:
        self.client.close()
