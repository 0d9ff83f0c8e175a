"""A small in-process event bus: services publish after commit, subscriptions enqueue tasks.

Events are frozen dataclasses carrying ids, never model instances, so a handler always
re-reads the committed state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

Handler = Callable[[Any], None]
_handlers: dict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type, handler: Handler) -> None:
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def publish_on_commit(event: object) -> None:
    """Deliver `event` to its handlers once the surrounding transaction commits."""
    for handler in list(_handlers[type(event)]):
        transaction.on_commit(partial(handler, event))
