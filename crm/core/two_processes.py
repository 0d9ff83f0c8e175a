"""CPU-bound work over two cores: half of it in a forked child process, half in this one.

Python runs one thread's bytecode at a time, so pure-Python work (scoring an import's rows against
the records read for them) uses a second core only from a second process. The child is a fork: it
starts with this process's memory (the rows already read, settings, translations), so it needs no
start-up and nothing is copied to it; it sends its results back through a pipe.

The child must not use the database. The connection it inherits is this process's own, and a
query there would interleave with ours on one socket or file; a guard makes any query in the child
fail instead. If the child fails or dies, its half is computed here, so the result never depends on
whether the second process worked.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from multiprocessing.connection import Connection
from typing import Any

from django.db import connections

logger = logging.getLogger(__name__)

# Below this many items the fork costs more than the half it saves.
MIN_ITEMS = 500


def in_two_processes[T](count: int, work: Callable[[range], Sequence[T]]) -> list[T]:
    """`work(range(count))`, with the second half computed in a forked child where that helps.

    `work` must return one result per index of the range it is given, in order, and must not touch
    the database (read what it needs first). Results must pickle.
    """
    if count < MIN_ITEMS or not _may_fork():
        return list(work(range(count)))
    half = count // 2
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(writer, work, range(half, count)), daemon=True)
    child.start()
    writer.close()
    try:
        mine = list(work(range(half)))
    finally:
        theirs = _receive(reader)
        child.join()
        reader.close()
    if theirs is None:
        theirs = list(work(range(half, count)))
    return mine + theirs


def _may_fork() -> bool:
    # A fork copies other threads' locks in whatever state they are in, and a child needing one would
    # wait forever: only a process with no other thread forks (the database task worker; RQ's worker
    # renews its job's lease from a thread, so it scores in one process).
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1 and _threads() == 1


def _threads() -> int:
    """Threads of this process, including those started outside `threading` (by C libraries, execnet…)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _child(writer: Connection, work: Callable[[range], Sequence[Any]], items: range) -> None:
    try:
        with ExitStack() as guards:
            for connection in connections.all(initialized_only=True):
                guards.enter_context(connection.execute_wrapper(_no_queries))
            result: tuple[bool, Any] = (True, list(work(items)))
    except BaseException as exc:  # every failure goes back to the parent, which redoes the half
        result = (False, repr(exc))
    writer.send(result)
    writer.close()


def _no_queries(*_args: Any) -> None:
    raise RuntimeError("a forked child must not use the parent's database connection")


def _receive(reader: Connection) -> list[Any] | None:
    try:
        ok, payload = reader.recv()
    except (EOFError, OSError):
        logger.warning("the second process ended without its results; computing its half here")
        return None
    if not ok:
        logger.warning("the second process failed (%s); computing its half here", payload)
        return None
    return list(payload)
