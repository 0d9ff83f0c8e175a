"""Figures from a load run: locust's statistics, the server's log, and the Markdown table."""

from __future__ import annotations

import csv
import math
import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TARGET_P99_MS = 300.0


@dataclass
class Latency:
    name: str
    method: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float


@dataclass(frozen=True)
class Request:
    started: float  # seconds since the epoch
    method: str
    name: str
    millis: float
    failed: bool


def percentile(millis: list[float], share: float) -> float:
    """Nearest rank: the p99 of 1,000 requests is the 990th fastest."""
    if not millis:
        return 0.0
    ordered = sorted(millis)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def latency(name: str, method: str, requests: list[Request]) -> Latency:
    millis = [request.millis for request in requests]
    return Latency(
        name=name,
        method=method,
        requests=len(requests),
        failures=sum(1 for request in requests if request.failed),
        p50=round(percentile(millis, 0.50), 1),
        p95=round(percentile(millis, 0.95), 1),
        p99=round(percentile(millis, 0.99), 1),
        max=round(max(millis, default=0.0), 1),
        mean=round(statistics.fmean(millis), 1) if millis else 0.0,
    )


def read_requests(folder: Path) -> list[Request]:
    """The request log the locustfile writes (one tab-separated file per locust process)."""
    requests = []
    for path in sorted(folder.glob("requests-*.csv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            started, method, name, millis, failed = line.split("\t")
            requests.append(Request(float(started), method, name, float(millis), failed == "1"))
    return sorted(requests, key=lambda request: request.started)


def summarise(requests: list[Request]) -> dict[str, Any]:
    """Per request name and overall: count, failures, p50/p95/p99/max/mean, and the request rate."""
    by_name: dict[tuple[str, str], list[Request]] = {}
    for request in requests:
        by_name.setdefault((request.name, request.method), []).append(request)
    seconds = (requests[-1].started - requests[0].started) if len(requests) > 1 else 0.0
    return {
        "overall": asdict(latency("all requests", "", requests)),
        "requests_per_second": round(len(requests) / seconds, 1) if seconds else 0.0,
        "measured_seconds": round(seconds, 1),
        "per_name": [asdict(latency(name, method, rows)) for (name, method), rows in sorted(by_name.items())],
    }


def read_figures(folder: Path, csv_prefix: Path, warmup_seconds: float) -> dict[str, Any]:
    """The whole run, the steady state after `warmup_seconds` (once everyone has signed in and the
    sign-in rush has drained), and locust's own failure messages."""
    requests = read_requests(folder)
    failures: list[dict[str, Any]] = []
    failures_csv = Path(f"{csv_prefix}_failures.csv")
    if failures_csv.exists():
        with failures_csv.open(encoding="utf-8") as handle:
            failures = [
                {"method": row["Method"], "name": row["Name"], "error": row["Error"], "count": int(row["Occurrences"])}
                for row in csv.DictReader(handle)
            ]
    first = requests[0].started if requests else 0.0
    steady = [request for request in requests if request.started >= first + warmup_seconds]
    return {
        **summarise(requests),
        "steady_state": {"warmup_seconds": warmup_seconds, **summarise(steady)},
        "failures": failures,
    }


_STATUS = re.compile(r'" (\d{3}) ')


def scan_server_log(log: Path) -> dict[str, Any]:
    """What the server itself said: "database is locked", 5xx answers, tracebacks."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    statuses: Counter[str] = Counter()
    for line in text.splitlines():
        found = _STATUS.search(line)
        if found is not None:
            statuses[found.group(1)] += 1
    server_errors = sum(count for status, count in statuses.items() if status.startswith("5"))
    locked = text.count("database is locked")
    excerpt = ""
    if locked or server_errors or "Traceback" in text:
        where = min(
            (index for index in (text.find("database is locked"), text.find("Traceback")) if index >= 0), default=0
        )
        excerpt = text[max(0, where - 2000) : where + 3000]
    return {
        "database_is_locked": locked,
        "status_5xx": server_errors,
        "tracebacks": text.count("Traceback (most recent call last)"),
        "statuses": dict(sorted(statuses.items())),
        "excerpt": excerpt,
    }


def markdown(result: dict[str, Any]) -> str:
    meta = result["meta"]
    requests = result["requests"]
    overall = requests["overall"]
    steady = requests["steady_state"]
    steady_by_name = {(row["name"], row["method"]): row for row in steady["per_name"]}
    lines = [
        f"{meta['vendor']}, {meta['scale']:,} customers; {meta['users']} users (spawn {meta['spawn_rate']}/s) for "
        f"{meta['run_time']}; server: {meta['server_workers']} workers × {meta['server_threads']} threads; "
        f"{requests['requests_per_second']} requests/s; load average {meta['load_average_at_start']} → "
        f"{meta['load_average_at_end']}. Steady state: after the first {steady['warmup_seconds']:.0f} s.",
        "",
        "| request | count | failures | p50 ms | p95 ms | p99 ms | max ms | steady p50 ms | steady p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in [*requests["per_name"], overall]:
        label = f"**{row['name']}**" if row is overall else f"{row['method']} {row['name']}"
        calm = steady["overall"] if row is overall else steady_by_name.get((row["name"], row["method"]))
        calm_cells = f"{calm['p50']:.0f} | {calm['p99']:.0f}" if calm else "- | -"
        lines.append(
            f"| {label} | {row['requests']:,} | {row['failures']} | {row['p50']:.0f} | {row['p95']:.0f} "
            f"| {row['p99']:.0f} | {row['max']:.0f} | {calm_cells} |"
        )
    spent = meta["cpu"]
    lines += [
        "",
        f"CPU during the load ({spent['wall_seconds']} s, {meta['machine']['cpus']} cores): machine "
        f"{spent['machine_busy_cpu_s']} s ({spent['cores_busy_on_average']} cores busy on average); server "
        f"{spent['server_cpu_s']} s, background worker {spent['background_worker_cpu_s']} s, locust "
        f"{spent['locust_cpu_s']} s, PostgreSQL (all databases) {spent['postgresql_cpu_s']} s, everything else "
        f"{spent['everything_else_cpu_s']} s.",
    ]
    lines += [
        "",
        "| write | sent | ok | conflict (409) | refused | failed / no answer | rows | lost | duplicated | phantom "
        "| misplaced |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in result["count_check"]["kinds"]:
        outcomes = kind["outcomes"]
        undecided = sum(count for name, count in outcomes.items() if name not in ("ok", "conflict", "refused"))
        lines.append(
            f"| {kind['kind']} | {kind['sent']:,} | {outcomes.get('ok', 0):,} | {outcomes.get('conflict', 0)} "
            f"| {outcomes.get('refused', 0)} | {undecided} | {kind['rows']:,} | {kind['lost']} | {kind['duplicated']} "
            f"| {kind['phantom']} | {kind['misplaced']} |"
        )
    server = result["server_log"]
    verdict = result["verdict"]
    lines += [
        "",
        f"Errors: {overall['failures']} failed requests, {server['status_5xx']} server 5xx answers, "
        f'{server["database_is_locked"]} "database is locked", {server["tracebacks"]} tracebacks. '
        f"Count check: {'passed' if result['count_check']['passed'] else 'FAILED'}. "
        f"p99 {overall['p99']:.0f} ms over the whole run, {steady['overall']['p99']:.0f} ms in the steady state "
        f"(target < {TARGET_P99_MS:.0f} ms): {'met' if verdict['p99_met'] else 'MISSED'}"
        f"{'' if verdict['p99_met'] or not verdict['steady_p99_met'] else ' (met in the steady state)'}.",
    ]
    return "\n".join(lines)
