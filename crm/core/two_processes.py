"""CPU-bound work over two cores: half of it in a forked child process, half in this one.

Python runs one thread's bytecode at a time, so pure-Python work (scoring an import's rows against
the records read for them) uses a second core only from a second process. The child is a fork: it
starts with this process's memory (the rows already read, settings, translations), so it needs no
start-up and nothing is copied to it; it sends its results back through a pipe.

The child must not use the database. The connection it inherits is this process's own, and a
query there would interleave with ours on one socket or file; a guard makes any query in the child
fail instead. If the child fails, dies or hangs, its half is computed here, so the result never
depends on whether the second process worked.

The task worker has threads of its own (the scheduler; RQ's lease renewal). A fork copies only the
forking thread, and a lock another thread held at that moment stays held in the child. The child
takes none of theirs (no database, no Redis, no logging, no output), and in case it still gets
stuck on one, it gets a deadline: a few times what the same amount of work took here.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from multiprocessing.connection import Connection
from typing import Any

from django.db import connections

logger = logging.getLogger(__name__)

# Below this many items the fork costs more than the half it saves.
MIN_ITEMS = 500
# The child's deadline after this process finished its own half: that half's time × FACTOR + SECONDS.
PATIENCE_FACTOR = 4
PATIENCE_SECONDS = 30.0


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
    with warnings.catch_warnings():
        # Python warns of forking a process with threads; why that is safe here is said above.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    writer.close()
    started = time.monotonic()
    try:
        mine = list(work(range(half)))
        theirs = _receive(reader, (time.monotonic() - started) * PATIENCE_FACTOR + PATIENCE_SECONDS)
    except BaseException:
        theirs = None  # this half failed: the error goes up at once, without waiting for the child
        raise
    finally:
        if theirs is None and child.is_alive():
            child.kill()
        child.join()
        reader.close()
    if theirs is None:
        theirs = list(work(range(half, count)))
    return mine + theirs


def _may_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


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


def _receive(reader: Connection, patience: float) -> list[Any] | None:
    try:
        if not reader.poll(patience):
            logger.warning("the second process took over %.0f s; computing its half here", patience)
            return None
        ok, payload = reader.recv()
    except (EOFError, OSError):
        logger.warning("the second process ended without its results; computing its half here")
        return None
    if not ok:
        logger.warning("the second process failed (%s); computing its half here", payload)
        return None
    return list(payload)
