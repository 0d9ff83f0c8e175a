"""`crm serve`: run the CRM under gunicorn, a production-grade WSGI server."""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from config.wsgi import application

        return application


def freeze_startup_objects(worker: Any) -> None:
    """gunicorn's `post_worker_init`: keep what the loaded app made out of the collector's full passes.

    A worker holds some 400,000 objects once Django, the apps and their tables are loaded, and a full
    collection walks them all (about 170 ms): often enough to be the slowest one request in a hundred.
    Frozen, they are never collected (they live as long as the process anyway); the passes walk only
    what requests make.
    """
    gc.freeze()


def default_workers() -> int:
    """Two processes per CPU and one more: each serves one request at a time, and while one waits on
    the database or the network another uses the CPU."""
    return 2 * (os.cpu_count() or 1) + 1


class Command(BaseCommand):
    help = "Serve the CRM over HTTP with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("CRM_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("CRM_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CRM_WORKERS", "0")) or None)
        # One thread per worker process by default (gunicorn's sync worker), see docs/decisions/0004.
        parser.add_argument("--threads", type=int, default=int(os.environ.get("CRM_THREADS", "1")))
        # With threads: seconds an idle connection is kept open. Gunicorn's default of 2 s is shorter than
        # the pause between two clicks, so a POST often goes out on a connection the server is closing
        # just then, and clients must not resend a POST on their own: the load test saw such writes fail.
        # The sync worker closes every connection after its answer, so the question does not arise.
        parser.add_argument("--keepalive", type=int, default=int(os.environ.get("CRM_KEEPALIVE", "30")))
        parser.add_argument(
            "--no-worker",
            action="store_true",
            default=os.environ.get("CRM_EMBEDDED_WORKER", "1") == "0",
            help="Do not start a background worker beside the server (run `crm worker` separately).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"] or default_workers()
        self.stdout.write(f"CRM listening on http://{options['host']}:{options['port']} ({workers} workers)")
        if not options["no_worker"]:
            self._start_worker()
        _Gunicorn(
            {
                "bind": f"{options['host']}:{options['port']}",
                "workers": workers,
                "threads": options["threads"],
                "worker_class": "gthread" if options["threads"] > 1 else "sync",
                "timeout": 120,
                "keepalive": options["keepalive"],
                "accesslog": "-" if os.environ.get("CRM_ACCESS_LOG") else None,
                "errorlog": "-",
                "loglevel": "warning",
                "post_worker_init": freeze_startup_objects,
            }
        ).run()

    def _start_worker(self) -> None:
        """A single-machine install needs imports, reminders and scheduled jobs to run without a
        second command; larger set-ups run `crm worker` processes of their own (--no-worker)."""
        # A bare pid rather than a Popen object: gunicorn forks its workers from this process, and
        # each fork's copy of a Popen object would complain at exit that the child still runs.
        pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "crm.cli", "worker"], os.environ)
        self.stdout.write(f"Background worker started (pid {pid})")
        server_pid = os.getpid()

        def stop() -> None:
            if os.getpid() != server_pid:
                return  # a forked gunicorn worker exiting must not stop the shared background worker
            try:
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if os.waitpid(pid, os.WNOHANG) != (0, 0):
                        return
                    time.sleep(0.1)
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, ChildProcessError):
                return  # already gone (gunicorn's arbiter reaps every child of this process)

        atexit.register(stop)
