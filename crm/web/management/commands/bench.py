"""`crm bench`: run the benchmark suite in bench/ against a seeded copy of the demo data.

The suite lives in the repository checkout (bench/suite), not in the installed package: it seeds its
own database (var/bench.sqlite3, or the PostgreSQL database DATABASE_URL names), starts `crm serve`,
and writes bench/results/. `crm bench --help` lists the suite's options. `crm bench
--update-query-counts` rewrites the query-count baseline (bench/query_counts.json) for the current
database instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

UPDATE_FLAG = "--update-query-counts"


class Command(BaseCommand):
    help = (
        "Run the benchmark suite (bench/ in a repository checkout): seed with `crm demo`, time every "
        "workload through the real server, write bench/results/. Options: see `crm bench --help`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("suite_args", nargs="*", help="options passed to the suite (python -m bench.suite)")

    def run_from_argv(self, argv: list[str]) -> None:
        # The suite defines its options once (bench/suite/runner.py); they are passed through untouched.
        raise SystemExit(self._run(argv[2:]))

    def handle(self, *args: Any, **options: Any) -> None:
        code = self._run(list(options["suite_args"]))
        if code:
            raise CommandError(f"the benchmark suite exited with status {code}")

    def _run(self, suite_args: list[str]) -> int:
        root = settings.BASE_DIR
        if not (root / "bench" / "suite" / "runner.py").is_file():
            raise CommandError(
                f"bench/ is missing under {root}: `crm bench` runs the benchmark suite from a repository "
                "checkout, which an installed package does not include."
            )
        if UPDATE_FLAG in suite_args:
            command = [sys.executable, "-m", "pytest", "tests/querycounts", "-q", "-n", "0"]
            env = {**os.environ, "CRM_UPDATE_QUERY_COUNTS": "1"}
            self.stdout.write("Rewriting bench/query_counts.json for this database: " + " ".join(command[2:]))
        else:
            command = [sys.executable, "-m", "bench.suite", *suite_args]
            env = dict(os.environ)
        return subprocess.run(command, cwd=root, env=env, check=False).returncode  # noqa: S603
