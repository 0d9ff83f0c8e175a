"""The periodic jobs every worker's scheduler enqueues (each runs once per period in total)."""

from __future__ import annotations

import datetime as dt

from crm.core.scheduling import PeriodicJob

SCHEDULE: list[PeriodicJob] = [
    PeriodicJob(
        name="prune_login_attempts",
        task="crm.identity.tasks.prune_login_attempts",
        every=dt.timedelta(hours=1),
    ),
    PeriodicJob(
        name="prune_scheduled_slots",
        task="crm.core.tasks.prune_scheduled_slots",
        every=dt.timedelta(days=1),
        at=dt.timedelta(hours=19),  # 03:00 in Asia/Shanghai
    ),
]
