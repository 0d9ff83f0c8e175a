"""What apps above activities add to a customer's timeline: contracts signed, payments collected, ….

Activities sits below contracts and payments in the layers, so it cannot read them; each of those apps
registers a source at start-up instead, and answers for its own visibility rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from crm.core.actors import Actor


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime
    label: str  # the badge: "合同", "回款"
    title: str  # what happened, in the viewer's language
    url: str = ""
    detail: str = ""


# (viewer, customer, limit, before) -> the newest events about that customer the viewer may see,
# only those that happened before `before` when it is given (the timeline's older pages)
TimelineSource = Callable[[Actor, Any, int, dt.datetime | None], Iterable[TimelineEvent]]

_SOURCES: dict[str, TimelineSource] = {}


def register_timeline_source(name: str, source: TimelineSource) -> None:
    _SOURCES[name] = source


def timeline_events(
    *, viewer: Actor, customer: Any, limit: int, before: dt.datetime | None = None
) -> list[TimelineEvent]:
    return [event for source in _SOURCES.values() for event in source(viewer, customer, limit, before)]
