"""Demo lead settings: entry criteria, scoring and assignment rules, and closed history for the model.

The history has a planted pattern (manufacturing and larger companies convert more often,
referrals more than adverts) so the scoring model report shows a model that learned something.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from crm.core import clock
from crm.core.actors import system_actor
from crm.core.search import build_search_text
from crm.customers.duplicates.normalise import company_key
from crm.customers.models import Contact, Customer
from crm.demo import vocabulary as words
from crm.identity.models import User
from crm.leads.models import Lead, LeadStatus
from crm.leads.rulebook import ASSIGNMENT, CRITERIA, SCORING, capacity_set, rule_save
from crm.leads.scoring.training import train

DEMO_HISTORY = 600
CHANNEL_LIFT = {"referral": 0.9, "event": 0.4, "web_form": 0.0, "advertising": -0.6, "manual": 0.1}


def demo_lead_rules(rng: random.Random, *, reps: list[User]) -> int:
    """Default rules, rep caps and closed-lead history; trains the model; returns the history size."""
    actor = system_actor("demo")
    rule_save(
        actor=actor,
        kind=CRITERIA,
        values={
            "name": "至少留有手机或邮箱",
            "conditions": [
                {
                    "any": [
                        {"field": "has_mobile", "op": "is", "value": True},
                        {"field": "has_email", "op": "is", "value": True},
                    ]
                }
            ],
            "reason": "没有可联系的手机号或邮箱",
        },
    )
    scoring = [
        ("制造业客户", "fit", 18, None, [{"field": "industry", "op": "contains", "value": "制造"}]),
        ("年营业额 ≥ 1000万", "fit", 15, None, [{"field": "annual_revenue", "op": "gte", "value": 10_000_000}]),
        ("老客户转介绍", "fit", 10, None, [{"field": "channel", "op": "eq", "value": "referral"}]),
        ("已联系", "engagement", 20, 14, [{"field": "status", "op": "in", "value": ["contacted", "qualified"]}]),
        ("30天未跟进", "engagement", -7, None, [{"field": "days_since_update", "op": "gte", "value": 30}]),
    ]
    for name, kind, points, half_life, conditions in scoring:
        rule_save(
            actor=actor,
            kind=SCORING,
            values={
                "name": name,
                "kind": kind,
                "points": points,
                "half_life_days": half_life,
                "conditions": conditions,
            },
        )
    rule_save(
        actor=actor,
        kind=ASSIGNMENT,
        values={
            "name": "大客户给资深销售",
            "strategy": "least_loaded",
            "conditions": [{"field": "annual_revenue", "op": "gte", "value": 50_000_000}],
            "members": [rep.pk for rep in reps[:2]],
        },
    )
    rule_save(
        actor=actor,
        kind=ASSIGNMENT,
        values={"name": "其余线索轮流分配", "strategy": "round_robin", "members": [rep.pk for rep in reps]},
    )
    for rep in reps:
        capacity_set(actor=actor, user_id=rep.pk, max_open_leads=200)
    _history(rng, reps)
    train()
    return DEMO_HISTORY


def _history(rng: random.Random, reps: list[User]) -> None:
    now = clock.now()
    # A converted lead became a customer: each converted one is linked to a demo customer and its contact.
    contacts = {
        customer_id: (contact_id, name)
        for contact_id, customer_id, name in Contact.objects.filter(customer__isnull=False)
        .order_by("-id")
        .values_list("id", "customer_id", "name")[: DEMO_HISTORY * 3]
    }
    customers = list(
        Customer.objects.filter(pk__in=list(contacts)).order_by("id").values_list("id", "name", "owner_id")
    )
    rows = []
    for number in range(DEMO_HISTORY):
        region = words.REGIONS[rng.randrange(len(words.REGIONS))]
        _word, industry = words.INDUSTRIES[rng.randrange(len(words.INDUSTRIES))]
        channel = rng.choice(list(CHANNEL_LIFT))
        revenue = rng.choice([800_000, 5_000_000, 30_000_000, 200_000_000])
        logit = -1.2 + (1.4 if "制造" in industry else 0.0) + (0.8 if revenue >= 10_000_000 else -0.4)
        logit += CHANNEL_LIFT[channel] + rng.gauss(0, 0.6)
        converted = rng.random() < 1 / (1 + math.exp(-logit))
        created = now - dt.timedelta(days=540 - number * 540 // DEMO_HISTORY, hours=rng.randrange(24))
        owner = reps[number % len(reps)]
        name = (
            words.SURNAMES[rng.randrange(len(words.SURNAMES))]
            + words.GIVEN_NAMES[rng.randrange(len(words.GIVEN_NAMES))]
        )
        company = f"{region[0]}{words.TRADE_WORDS[rng.randrange(len(words.TRADE_WORDS))]}有限公司"
        customer_id = contact_id = None
        if converted and customers:
            customer_id, company, owner_id = customers[number % len(customers)]
            contact_id, name = contacts[customer_id]
            owner = next((rep for rep in reps if rep.pk == owner_id), owner)
        mobile = f"+86139{rng.randrange(10**8):08d}"
        rows.append(
            Lead(
                name=name,
                company_name=company,
                province=region[1],
                city=region[2],
                industry=industry,
                annual_revenue=Decimal(revenue),
                channel=channel,
                mobile=mobile,
                owner=owner,
                team_id=owner.team_id,
                status=LeadStatus.CONVERTED if converted else LeadStatus.UNQUALIFIED,
                unqualified_reason="" if converted else rng.choice(["预算不足", "需求不匹配", "联系不上"]),
                converted_at=min(now, created + dt.timedelta(days=rng.randrange(5, 60))) if converted else None,
                converted_customer_id=customer_id,
                converted_contact_id=contact_id,
                created_at=created,
                updated_at=min(now, created + dt.timedelta(days=rng.randrange(1, 60))),
                first_contacted_at=min(now, created + dt.timedelta(hours=rng.randrange(1, 72))),
                search_text=build_search_text(names=[name, company], phones=[mobile]),
                name_key=company_key(company),
            )
        )
    Lead.objects.bulk_create(rows, batch_size=500)
