"""Bulk load of demo leads: two years of them, mostly closed, the recent ones still being worked.

Each lead is scored by the real scorer (the rules and the model the demo trained), so the score,
its reasons and the lists sorted by score look as they would after the nightly rescoring. A
converted lead points at a demo customer with that customer's name and first contact.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from crm.customers.duplicates.normalise import company_key
from crm.demo import naming
from crm.demo import vocabulary as words
from crm.demo.customer_load import DAY, Population
from crm.demo.inserting import Inserter, batches, db_value, utc_datetime_value
from crm.demo.progress import Progress
from crm.leads.conditions import lead_facts
from crm.leads.models import Channel, Lead, LeadStatus
from crm.leads.scoring.scorer import Scorer

# (share of leads, from days ago, to days ago, statuses with their weights)
AGES = (
    (0.08, 0, 30, {"new": 40, "contacted": 35, "qualified": 15, "unqualified": 5, "converted": 5}),
    (0.25, 30, 180, {"new": 10, "contacted": 20, "qualified": 20, "unqualified": 30, "converted": 20}),
    (0.67, 180, 730, {"new": 2, "contacted": 5, "qualified": 5, "unqualified": 55, "converted": 33}),
)
CHANNELS = {
    Channel.WEB_FORM: ["官网免费试用", "2026 春季智能制造峰会", ""],
    Channel.EVENT: ["2026 秋季展会", "行业沙龙（上海）", ""],
    Channel.ADVERTISING: ["百度推广", "微信朋友圈广告", ""],
    Channel.REFERRAL: ["老客户转介绍", ""],
    Channel.MANUAL: [""],
    Channel.IMPORT: ["2025 展会名单", ""],
}
CHANNEL_WEIGHTS = [25, 15, 20, 15, 15, 10]
UNQUALIFIED_REASONS = ["预算不足，明年再议", "需求不匹配", "联系不上", "已选择其他供应商", "个人咨询，非企业需求"]
REVENUES = [None, *(Decimal(revenue) for revenue in (800_000, 5_000_000, 30_000_000, 200_000_000, 1_500_000_000))]


def load_leads(rng: random.Random, *, count: int, population: Population, progress: Progress) -> int:
    """Insert `count` leads in batches (indexes are set aside by the caller); returns how many."""
    progress.begin("leads", count)
    now = population.now
    aware_now = now.replace(tzinfo=dt.UTC)
    at = utc_datetime_value()
    scorer = Scorer.load()
    reasons_field = Lead._meta.get_field("score_reasons")
    revenue_value = db_value(Lead, "annual_revenue")
    channels = list(CHANNELS)
    keys: dict[str, str] = {}
    rows = Inserter(
        Lead,
        [
            "name", "company_name", "title", "mobile", "email", "province", "city", "industry", "annual_revenue",
            "channel", "campaign", "status", "unqualified_reason", "converted_customer_id", "converted_contact_id",
            "converted_at", "first_contacted_at", "score", "score_reasons", "scored_at", "owner_id", "team_id",
            "created_at", "updated_at", "search_text", "name_key",
        ],
    )  # fmt: skip
    for batch in batches(count):
        values: list[tuple[Any, ...]] = []
        for number in batch:
            roll, age = rng.random(), AGES[-1]
            for age in AGES:
                if roll < age[0]:
                    break
                roll -= age[0]
            _share, low, high, statuses = age
            created_ago = rng.randrange(low * DAY, high * DAY)
            status = rng.choices(list(statuses), list(statuses.values()))[0]
            channel = rng.choices(channels, CHANNEL_WEIGHTS)[0]
            person = rng.randrange(naming.PERSON_NAMES)
            customer_id = contact_id = None
            if status == LeadStatus.CONVERTED:
                customer = rng.randrange(population.count)
                customer_id = population.customer_ids[customer]
                contact_id = population.first_contact_ids[customer] or None
                if contact_id is not None:
                    person = population.first_contact_names[customer]
                company, company_full, company_initials = population.name(customer)
                _name, _full, _initials, region, industry = naming.customer_name(customer)
                owner_id, team_id = population.owner(customer)
            else:
                region = words.REGIONS[rng.randrange(len(words.REGIONS))]
                trade = words.TRADE_WORDS[rng.randrange(len(words.TRADE_WORDS))]
                industry_word, industry = words.INDUSTRIES[rng.randrange(len(words.INDUSTRIES))]
                parts = [naming.pinyin(part) for part in (region[0], trade, industry_word)]
                suffix = rng.choice(words.SUFFIXES)
                company = f"{region[0]}{trade}{industry_word}{suffix}"
                company_full = "".join(full for full, _ in parts) + naming.pinyin(suffix)[0]
                company_initials = "".join(initials for _, initials in parts) + naming.pinyin(suffix)[1]
                owner_id, team_id = population.owners[rng.randrange(len(population.owners))]
            name, full, initials = naming.person_name(person)
            has_mobile = rng.random() < 0.85
            mobile = naming.mobile(rng) if has_mobile else ""
            email = f"{full}.{number}@example.cn" if not has_mobile or rng.random() < 0.5 else ""
            created = now - dt.timedelta(seconds=created_ago)
            contacted = converted = None
            if status != LeadStatus.NEW:
                contacted = min(now, created + dt.timedelta(seconds=rng.randrange(600, 4 * DAY)))
                if status == LeadStatus.CONVERTED:
                    converted = min(now, contacted + dt.timedelta(seconds=rng.randrange(DAY, 60 * DAY)))
            updated = converted or contacted or created
            lead = Lead(
                name=name,
                company_name=company,
                title=rng.choice(words.TITLES),
                mobile=mobile,
                email=email,
                province=region[1],
                city=region[2],
                industry=industry,
                annual_revenue=rng.choice(REVENUES),
                channel=channel,
                campaign=rng.choice(CHANNELS[channel]),
                status=status,
                created_at=created.replace(tzinfo=dt.UTC),
                updated_at=updated.replace(tzinfo=dt.UTC),
            )
            scored = scorer.score(lead, lead_facts(lead, aware_now))
            key = keys.get(company) or company_key(company)
            if customer_id is None:
                keys[company] = key  # made-up company names repeat; customers' names do not
            values.append(
                (
                    name, company, lead.title, mobile, email, lead.province, lead.city, industry,
                    revenue_value(lead.annual_revenue),
                    channel.value, lead.campaign, status,
                    rng.choice(UNQUALIFIED_REASONS) if status == LeadStatus.UNQUALIFIED else "",
                    customer_id, contact_id, at(converted) if converted else None,
                    at(contacted) if contacted else None, scored.score,
                    reasons_field.get_db_prep_save(scored.reasons, connection), at(now), owner_id, team_id,
                    at(created), at(updated),
                    naming.search_text([(name, full, initials), (company, company_full, company_initials)],
                                       [mobile], [email]),
                    key,
                )
            )  # fmt: skip
        with transaction.atomic():
            rows.insert(values)
        progress.advance("leads", len(batch))
    return rows.count
