"""What a run found, per workload, and how it is written: bench/results/<date>-<db>.json and .md."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.suite.db_time import DbTime
from bench.suite.measuring import Stats

MET, MISSED, SKIPPED, NOT_JUDGED, REPORTED = "met", "MISSED", "skipped", "not judged", "reported"


@dataclass
class WorkloadResult:
    key: str
    kind: str
    title: str
    user: str
    target: str
    status: str = SKIPPED
    reason: str = ""  # why skipped, not judged or missed (errors)
    note: str = ""
    http: Stats | None = None
    errors: int = 0
    distinct_requests: int = 0
    by_variant: dict[str, dict[str, float]] = field(default_factory=dict)
    sample_requests: list[str] = field(default_factory=list)
    db: DbTime | None = None
    db_share_of_p50: float | None = None
    figures: dict[str, Any] = field(default_factory=dict)  # run-time workloads: seconds, rows/s, ratio
    summary: str = ""  # run-time workloads: the measured figure in words
    database_summary: str = ""  # run-time workloads: the database's own time or the raw-SQL comparison

    def verdict(self) -> str:
        return f"{self.status} ({self.reason})" if self.reason else self.status


def _cell(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown(results: list[WorkloadResult], meta: dict[str, Any]) -> str:
    seed = meta.get("seed", {})
    seed_s = seed.get("seed_seconds")
    rows = meta.get("rows", {})
    lines = [
        f"Scale {meta['scale']:,} on {meta['vendor']} ({meta['database']}); seed "
        + (f"{seed_s:,.0f} s" if seed_s else "not recorded")
        + (" (reused)" if seed.get("reused") else "")
        + f"; {meta['requests']} timed requests per HTTP workload after {meta['warmup']} warm-up, sequential, "
        f"keep-alive; {meta['machine']['cpus']} CPUs, load average at start "
        f"{', '.join(str(v) for v in meta['machine']['load_average_at_start'])}.",
        "",
        "Rows: " + ", ".join(f"{key} {value:,}" for key, value in rows.items()) + ".",
        "",
        "| key | workload | p50 ms | p95 ms | p99 ms | max ms | in-process ms p50 | DB ms p50 | DB share "
        "| queries | target | result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    timed = [r for r in results if r.kind not in ("run",)]
    for r in timed:
        http, db = r.http, r.db
        share = f"{r.db_share_of_p50:.0%}" if r.db_share_of_p50 is not None else "-"
        lines.append(
            f"| `{r.key}` | {r.title} | {_cell(http.p50 if http else None)} | {_cell(http.p95 if http else None)} "
            f"| {_cell(http.p99 if http else None)} | {_cell(http.max if http else None)} "
            f"| {_cell(db.app_p50 if db else None)} | {_cell(db.db_p50 if db else None, 2)} | {share} "
            f"| {_cell(db.queries_per_request if db else None)} | {r.target} | {r.verdict()} |"
        )
    runs = [r for r in results if r.kind == "run"]
    if runs:
        lines += ["", "| key | workload | measured | database's own time / raw SQL | target | result |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        lines += [
            f"| `{r.key}` | {r.title} | {r.summary or '-'} | {r.database_summary or '-'} | {r.target} | {r.verdict()} |"
            for r in runs
        ]
    notes = [f"- `{r.key}`: {r.note}" for r in results if r.note]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines)


def write(results: list[WorkloadResult], meta: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{meta['started_at'][:10]}-{meta['vendor']}"
    json_path, md_path = folder / f"{stem}.json", folder / f"{stem}.md"
    payload = {**meta, "workloads": [asdict(result) for result in results]}
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    md_path.write_text(markdown(results, meta) + "\n")
    return json_path, md_path
