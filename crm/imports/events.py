"""Events the imports app publishes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportJobQueued:
    job_id: int
