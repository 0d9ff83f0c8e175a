"""`crm duplicates scan|rekey`: list likely duplicate pairs; rebuild the duplicate-check keys."""

from __future__ import annotations

import csv
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crm.core.actors import system_actor
from crm.customers.duplicates.scan import DEFAULT_MIN_SCORE, Pair, passes_of, scan_pairs
from crm.customers.duplicates.sources import source_of
from crm.customers.services import duplicate_keys_refresh

CSV_COLUMNS = ["left_id", "left_external_id", "right_id", "right_external_id", "score", "reasons"]
OBJECTS = ["customers", "contacts", "leads"]


class Command(BaseCommand):
    help = "Find likely duplicate customers or contacts (scan), or rebuild their match keys (rekey)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        scan = actions.add_parser("scan", help="List likely duplicate pairs, one per line.")
        scan.add_argument("--object", choices=OBJECTS, required=True)
        scan.add_argument("--format", choices=["csv", "table"], default="table")
        scan.add_argument("--min-score", type=int, default=DEFAULT_MIN_SCORE)
        scan.add_argument("--output", help="Write to this file instead of standard output.")
        scan.add_argument("--quiet", action="store_true", help="No progress bar.")
        rekey = actions.add_parser("rekey", help="Recompute the name keys of existing rows (after an upgrade).")
        rekey.add_argument("--object", choices=OBJECTS, required=True)
        rekey.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rekey":
            self._rekey(options)
        else:
            self._scan(options)

    def _bar(self, quiet: bool) -> Progress:
        return Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=quiet,
            transient=False,
        )

    def _rekey(self, options: dict[str, Any]) -> None:
        model = source_of(options["object"]).model
        with self._bar(options["quiet"]) as bar:
            task = bar.add_task("rekey", total=model._base_manager.count())
            changed = duplicate_keys_refresh(
                actor=system_actor("duplicates rekey"),
                object_type=options["object"],
                progress=lambda count: bar.advance(task, count),
            )
        self.stdout.write(f"Updated the name key of {changed:,} {options['object']}.")

    def _scan(self, options: dict[str, Any]) -> None:
        object_type = options["object"]
        model = source_of(object_type).model
        path = options.get("output")
        out: Any = open(path, "w", newline="", encoding="utf-8") if path else self.stdout  # noqa: SIM115
        # The bar goes to stderr so that stdout carries only the pairs.
        quiet = options["quiet"] or not sys.stderr.isatty()
        try:
            write = self._writer(out, options["format"])
            with self._bar(quiet) as bar:
                tasks = {
                    blocking.label: bar.add_task(
                        blocking.label, total=model._default_manager.filter(blocking.present).count()
                    )
                    for blocking in passes_of(object_type)
                }
                found = 0
                for pair in scan_pairs(
                    object_type=object_type,
                    min_score=options["min_score"],
                    progress=lambda label, count: bar.advance(tasks[label], count),
                ):
                    write(pair)
                    found += 1
        finally:
            if path:
                out.close()
        self.stderr.write(f"{found:,} likely duplicate pairs.")

    def _writer(self, out: TextIO, file_format: str) -> Any:
        if file_format == "csv":
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)

            def write_csv(pair: Pair) -> None:
                writer.writerow(
                    [
                        pair.left_id,
                        pair.left_external_id or "",
                        pair.right_id,
                        pair.right_external_id or "",
                        pair.score,
                        "; ".join(pair.reasons),
                    ]
                )

            return write_csv

        def write_line(pair: Pair) -> None:
            out.write(
                f"{pair.left_id:>9} {pair.left_external_id or '-':<16} {pair.right_id:>9} "
                f"{pair.right_external_id or '-':<16} {pair.score:>3}  {'; '.join(pair.reasons)}\n"
            )

        return write_line
