"""The showcase: a few hundred records made through the services one by one, at every scale.

Lead rules and a trained scoring model, fresh leads and web-form leads, deals with objections,
quotes awaiting approval, contracts taken through approval and their payments: what the screens
need to look lived-in, written the way users' actions write them (audit entries included).
"""

from __future__ import annotations

import random

from crm.approvals.demo import demo_approval_flows
from crm.contracts.demo import demo_contracts
from crm.core.actors import system_actor
from crm.demo.campaigns import demo_campaigns
from crm.demo.deals import DEMO_DEALS, demo_deals
from crm.demo.lead_rules import demo_lead_rules
from crm.demo.naming import prospect
from crm.demo.progress import Progress
from crm.demo.quotes import demo_quotes
from crm.identity.models import User
from crm.leads.services import lead_create
from crm.payments.demo import demo_payments

DEMO_LEADS = 40
STEPS = 8


def load_showcase(rng: random.Random, *, reps: list[User], customers: int, progress: Progress) -> None:
    progress.begin("showcase", STEPS)
    demo_lead_rules(rng, reps=reps)
    progress.advance("showcase", 1)
    _demo_leads(rng, reps=reps, count=min(DEMO_LEADS, customers))
    progress.advance("showcase", 1)
    demo_campaigns(rng, reps=reps)
    progress.advance("showcase", 1)
    demo_deals(rng, count=min(DEMO_DEALS, customers))
    progress.advance("showcase", 1)
    demo_quotes(rng)
    progress.advance("showcase", 1)
    demo_approval_flows()
    progress.advance("showcase", 1)
    demo_contracts(rng)
    progress.advance("showcase", 1)
    demo_payments(rng)
    progress.advance("showcase", 1)


def _demo_leads(rng: random.Random, *, reps: list[User], count: int) -> int:
    """A handful of fresh leads through the leads service, so the lead screens have something to show."""
    channels = ["web_form", "event", "advertising", "referral", "manual"]
    campaigns = ["2026 秋季展会", "官网免费试用", "百度推广", "老客户转介绍", ""]
    for number in range(count):
        owner = reps[number % len(reps)]
        lead_create(
            actor=system_actor("demo"),
            values={
                # Prefixes every numbering plan accepts: these go through the service's validation.
                **prospect(rng, mobile_prefixes=("138", "139", "136", "186", "158", "150")),
                "channel": channels[number % len(channels)],
                "campaign": campaigns[number % len(campaigns)],
                "owner_id": owner.pk,
            },
        )
    return count
