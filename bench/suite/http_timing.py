"""Timing a workload through the real server: warm up, then send its requests one after another."""

from __future__ import annotations

import gc
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench.suite.catalogue import Group, Request
from bench.suite.measuring import Stats, percentile
from bench.suite.results import MET, MISSED, NOT_JUDGED, WorkloadResult
from bench.suite.server import Session

_NEXT_CURSOR = re.compile(r"[?&;]cursor=([A-Za-z0-9_\-]+)")


def cycle(items: list[Request], count: int, offset: int = 0) -> list[Request]:
    return [items[(offset + i) % len(items)] for i in range(count)]


def _next_cursor(answer: httpx.Response) -> str | None:
    if answer.headers.get("content-type", "").startswith("application/json"):
        value = json.loads(answer.text).get("next_cursor")
        return str(value) if value else None
    found = _NEXT_CURSOR.search(answer.text)
    return found.group(1) if found else None


def with_next_pages(session: Session, group: Group) -> list[Request]:
    """Each request followed by the keyset pages after it, as "load more" asks for them."""
    if group.cursor_pages <= 1:
        return group.requests
    expanded: list[Request] = []
    for request in group.requests:
        expanded.append(request)
        current = request
        for number in range(2, group.cursor_pages + 1):
            cursor = _next_cursor(session.send("GET", current.path))
            if cursor is None:
                break
            joiner = "&" if "?" in request.path else "?"
            current = Request(
                variant=f"{request.variant}, page {number}", path=f"{request.path}{joiner}cursor={cursor}"
            )
            expanded.append(current)
    return expanded


def time_group(session: Session, group: Group, *, requests: int, warmup: int) -> tuple[WorkloadResult, list[Request]]:
    """Warm up, then time `requests` requests (send to last byte read); every answer is checked."""
    result = WorkloadResult(
        key=group.key, kind=group.kind, title=group.title, user=group.user, target=group.target.describe(),
        note=group.note,
    )  # fmt: skip
    plan = with_next_pages(session, group)
    measured, warm = cycle(plan, requests, warmup), cycle(plan, warmup)
    for request in warm:
        session.send(request.method, request.path, request.data)
    millis: list[float] = []
    by_variant: dict[str, list[float]] = {}
    with _no_client_collection():
        for request in measured:
            started = time.perf_counter()
            try:
                answer = session.send(request.method, request.path, request.data)
                body = answer.text
            except httpx.TimeoutException:
                millis.append((time.perf_counter() - started) * 1000)
                result.errors += 1
                print(f"    timed out: {request.method} {request.path}", flush=True)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            millis.append(elapsed)
            by_variant.setdefault(request.variant, []).append(elapsed)
            if answer.status_code != 200 or (group.expect is not None and group.expect not in body):
                result.errors += 1
                if result.errors <= 5:
                    print(f"    HTTP {answer.status_code}: {request.method} {request.path}", flush=True)
    result.http = Stats.of(millis)
    result.distinct_requests = len({(r.method, r.path, repr(r.data)) for r in measured})
    result.sample_requests = list(dict.fromkeys(f"{r.method} {r.path}" for r in measured))[:8]
    result.by_variant = {
        variant: {"count": len(values), "p50": round(percentile(values, 50), 2), "max": round(max(values), 2)}
        for variant, values in by_variant.items()
    }
    if result.errors:
        result.status, result.reason = MISSED, f"{result.errors} errors"
    elif not group.judge_target:
        result.status, result.reason = NOT_JUDGED, "the data is not what the target assumes (see notes)"
    else:
        met = group.target.met_by_latency(result.http.p50, result.http.p99)
        result.status = MET if met else MISSED
    return result, measured


@contextmanager
def _no_client_collection() -> Iterator[None]:
    """No garbage collection in this (the client's) process while requests are timed.

    The client holds Django and the sample, a few hundred thousand objects, and a full collection over them
    takes as long as dozens of requests: landing inside a timed request, it showed as a slow answer the
    server never gave. What the requests leave behind is collected once the timing is over.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
