"""Where the machine's CPU went during the load: the web server, its background worker, locust, and
everything else (on a shared machine, other people's work), read from /proc on Linux."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = Path("/proc")


@dataclass(frozen=True)
class Sample:
    machine_busy: float  # CPU seconds all cores spent not idle since boot
    server: float  # the server's process group, without the background worker
    worker: float  # the background worker beside the server
    postgresql: float  # every PostgreSQL server process and the ended backends (other people's databases too)
    children: float  # processes this runner started and has reaped (locust, once it has ended)


def _group_cpu(pgid: int) -> tuple[float, float, float]:
    """(web server, background worker, PostgreSQL) CPU seconds: the first two of the processes alive in
    process group `pgid`, the last of every process named postgres and the children they have reaped."""
    server = worker = postgresql = 0.0
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        # The command name (field 2) may hold spaces; the fields after it are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
        if stat[stat.index("(") + 1 : stat.rindex(")")] == "postgres":
            # A connection's backend ends when the app closes the connection (after CONN_MAX_AGE), taking its
            # seconds with it; the postmaster that reaped it keeps them as its children's time (cutime + cstime).
            postgresql += seconds + (int(fields[13]) + int(fields[14])) / _TICKS
        if int(fields[2]) != pgid:
            continue
        if b"crm.cli\x00worker" in command:
            worker += seconds
        else:
            server += seconds
    return server, worker, postgresql


def _machine_busy() -> float:
    try:
        first = (_PROC / "stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(value) for value in first[:8]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / _TICKS


def sample(server_pid: int) -> Sample:
    server, worker, postgresql = _group_cpu(server_pid)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Sample(
        machine_busy=_machine_busy(),
        server=server,
        worker=worker,
        postgresql=postgresql,
        children=usage.ru_utime + usage.ru_stime,
    )


def spent(before: Sample, after: Sample, wall_seconds: float) -> dict[str, float]:
    """CPU seconds per consumer between two samples, and the cores busy on average."""
    machine = after.machine_busy - before.machine_busy
    server = after.server - before.server
    worker = after.worker - before.worker
    locust = after.children - before.children
    # Processes that ended between the samples take their seconds with them: never below zero.
    postgresql = max(0.0, after.postgresql - before.postgresql)
    return {
        "wall_seconds": round(wall_seconds, 1),
        "machine_busy_cpu_s": round(machine, 1),
        "cores_busy_on_average": round(machine / wall_seconds, 2) if wall_seconds else 0.0,
        "server_cpu_s": round(server, 1),
        "background_worker_cpu_s": round(worker, 1),
        "locust_cpu_s": round(locust, 1),
        "postgresql_cpu_s": round(postgresql, 1),
        "everything_else_cpu_s": round(max(0.0, machine - server - worker - locust - postgresql), 1),
    }
