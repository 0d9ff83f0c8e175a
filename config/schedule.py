"""The periodic jobs every worker's scheduler enqueues (each runs once per period in total)."""

from __future__ import annotations

import datetime as dt

from crm.core.scheduling import PeriodicJob

SCHEDULE: list[PeriodicJob] = [
    PeriodicJob(
        name="flag_stalled_deals",
        task="crm.deals.tasks.flag_stalled_deals",
        every=dt.timedelta(hours=1),
        at=dt.timedelta(minutes=7),
    ),
    PeriodicJob(
        name="flag_neglected_customers",
        task="crm.customers.tasks.flag_neglected_customers",
        every=dt.timedelta(hours=1),
        at=dt.timedelta(minutes=17),  # apart from the stalled-deal check at :07
    ),
    PeriodicJob(
        name="send_task_reminders",
        task="crm.activities.tasks.send_task_reminders",
        every=dt.timedelta(minutes=1),
    ),
    PeriodicJob(
        name="send_daily_digest",
        task="crm.activities.tasks.send_daily_digest",
        every=dt.timedelta(days=1),
        at=dt.timedelta(hours=0),  # 08:00 in Asia/Shanghai
        late_by=dt.timedelta(hours=2),  # a digest at 14:00 after a late start would only be noise
    ),
    PeriodicJob(
        name="prune_login_attempts",
        task="crm.identity.tasks.prune_login_attempts",
        every=dt.timedelta(hours=1),
    ),
    PeriodicJob(
        name="rescore_leads",
        task="crm.leads.tasks.rescore_leads",
        every=dt.timedelta(days=1),
        at=dt.timedelta(hours=18),  # 02:00 in Asia/Shanghai: engagement points decay overnight
    ),
    PeriodicJob(
        name="retrain_scoring_model",
        task="crm.leads.tasks.retrain_scoring_model",
        every=dt.timedelta(days=7),
        at=dt.timedelta(hours=17),  # Mondays 01:00 in Asia/Shanghai
    ),
    PeriodicJob(
        name="prune_scheduled_slots",
        task="crm.core.tasks.prune_scheduled_slots",
        every=dt.timedelta(days=1),
        at=dt.timedelta(hours=19),  # 03:00 in Asia/Shanghai
    ),
    PeriodicJob(
        name="expire_contracts",
        task="crm.contracts.tasks.expire_contracts",
        every=dt.timedelta(days=1),
        at=dt.timedelta(hours=16, minutes=5),  # 00:05 in Asia/Shanghai: contracts end at midnight
    ),
    PeriodicJob(
        name="remind_contract_renewals",
        task="crm.contracts.tasks.remind_contract_renewals",
        every=dt.timedelta(days=1),
        at=dt.timedelta(hours=0, minutes=30),  # 08:30 in Asia/Shanghai: owners read it at the start of the day
    ),
    PeriodicJob(
        name="notify_overdue_instalments",
        task="crm.payments.tasks.notify_overdue_instalments",
        every=dt.timedelta(days=1),
        at=dt.timedelta(hours=1),  # 09:00 in Asia/Shanghai: owners hear about due payments at the start of the day
    ),
]
