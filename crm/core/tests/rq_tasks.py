"""Tasks the Redis backend's tests enqueue (module-level, as django.tasks requires)."""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task


@task()
def add(*, a: int, b: int) -> int:
    return a + b


@task()
def refuse(*, reason: str) -> None:
    raise ValueError(reason)


@task(takes_context=True)
def report_attempt(context: TaskContext[..., Any], *, label: str) -> dict[str, Any]:
    return {"label": label, "result_id": context.task_result.id, "attempt": context.attempt}


@task(takes_context=True)
def cut_off_first_run(context: TaskContext[..., Any]) -> str:
    """Stands for a run stopped from outside (a forced shutdown): the first attempt never returns."""
    if context.attempt == 1:
        raise SystemExit("stopped from outside")
    return "finished on a later run"
