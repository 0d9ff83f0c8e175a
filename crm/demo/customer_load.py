"""Bulk load of the demo customers, their contacts and their follow-ups.

Every customer's follow-up times are drawn when the customer is made: the latest first (most
customers were contacted recently, some have gone quiet), the others between the customer's
creation and that one. So `last_follow_up_at` goes in with the customer row and no pass over ten
million follow-ups is needed afterwards to work it out.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.activities.models import Activity
from crm.customers.duplicates.normalise import company_key, person_key
from crm.customers.models import CompanySize, Contact, Customer, CustomerSource, Grade, LifecycleStage, Tag
from crm.demo import naming
from crm.demo import vocabulary as words
from crm.demo.composition import BIG_CUSTOMER_NAME, Composition
from crm.demo.inserting import Inserter, batches, db_value, utc_datetime_value
from crm.demo.progress import Progress

DAY = 86_400
THREE_YEARS = 3 * 365 * DAY
BIG_CUSTOMER = 1  # the big customer's index, when there is one (index 0 is FIRST_CUSTOMER)
# How long ago customers were last followed up: (share, from days, to days).
RECENCY = ((0.5, 0, 14), (0.25, 14, 60), (0.15, 60, 180), (0.1, 180, 720))
DEAL_ROLES = ["decision_maker", "influencer", "user", "technical", "purchasing"]


@dataclass
class Population:
    """What the later stages need to know about the loaded customers, by customer index."""

    now: dt.datetime  # naive UTC, whole seconds: every generated time is `now` minus whole seconds
    owners: list[tuple[int, int | None]]  # the reps as (user id, team id)
    customer_ids: array[int] = field(default_factory=lambda: array("q"))
    owner_of: array[int] = field(default_factory=lambda: array("B"))  # index into `owners`
    created_ago: array[int] = field(default_factory=lambda: array("q"))  # seconds before `now`
    first_contact_ids: array[int] = field(default_factory=lambda: array("q"))  # 0: no contact
    first_contact_names: array[int] = field(default_factory=lambda: array("H"))  # naming.person_name number
    has_big_customer: bool = False

    @property
    def count(self) -> int:
        return len(self.customer_ids)

    def owner(self, index: int) -> tuple[int, int | None]:
        return self.owners[self.owner_of[index]]

    def name(self, index: int) -> tuple[str, str, str]:
        """(name, full pinyin, initials) of customer `index`."""
        if index == 0:
            return naming.FIRST_CUSTOMER
        if self.has_big_customer and index == BIG_CUSTOMER:
            return (BIG_CUSTOMER_NAME, *naming.pinyin(BIG_CUSTOMER_NAME))
        name, full, initials, _region, _industry = naming.customer_name(index)
        return name, full, initials


class _FollowUpPlan:
    """Which customer the i-th follow-up belongs to and whether it is that customer's latest.

    The big customer (if any) takes the first follow-ups; the rest go round the other customers,
    so each has total // others of them, and the first total % others one more.
    """

    def __init__(self, customers: int, total: int, big: int) -> None:
        self.big = big
        self.others = customers - 1 if big else customers
        self.rest = total - big
        self.per_customer, self.remainder = divmod(self.rest, self.others) if self.others else (0, 0)

    def _index(self, position: int) -> int:
        # Positions skip the big customer's index.
        return position + 1 if self.big and position >= BIG_CUSTOMER else position

    def count_of(self, index: int) -> int:
        if self.big and index == BIG_CUSTOMER:
            return self.big
        position = index - 1 if self.big and index > BIG_CUSTOMER else index
        return self.per_customer + (1 if position < self.remainder else 0)

    def owner_of(self, number: int) -> tuple[int, bool]:
        """(customer index, is its latest) of follow-up `number`."""
        if number < self.big:
            return BIG_CUSTOMER, number == self.big - 1
        offset = number - self.big
        position = offset % self.others
        index = self._index(position)
        return index, offset // self.others == self.count_of(index) - 1


def load_customers(
    rng: random.Random,
    *,
    composition: Composition,
    owners: list[tuple[int, int | None]],
    tags: list[Tag],
    progress: Progress,
) -> Population:
    """Insert customers, their tags, contacts and follow-ups in batches (indexes are set aside by the caller)."""
    now = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None, microsecond=0)
    population = Population(now=now, owners=owners, has_big_customer=composition.has_big_customer)
    plan = _FollowUpPlan(composition.customers, composition.follow_ups, composition.big_customer_follow_ups)
    last_ago = array("q", [-1]) * composition.customers  # -1: no follow-up
    progress.begin("customers", composition.customers)
    _load_customers(rng, composition, population, plan, last_ago, tags, progress)
    progress.begin("contacts", composition.contacts)
    _load_contacts(rng, composition, population, progress)
    progress.begin("follow-ups", composition.follow_ups)
    _load_follow_ups(rng, composition, population, plan, last_ago, progress)
    return population


def _recency(rng: random.Random) -> int:
    roll = rng.random()
    for share, low, high in RECENCY:
        if roll < share:
            return rng.randrange(low * DAY, high * DAY)
        roll -= share
    return rng.randrange(RECENCY[-1][1] * DAY, RECENCY[-1][2] * DAY)


def _load_customers(
    rng: random.Random,
    composition: Composition,
    population: Population,
    plan: _FollowUpPlan,
    last_ago: array[int],
    tags: list[Tag],
    progress: Progress,
) -> None:
    now, at = population.now, utc_datetime_value()
    grades = [Grade.A, Grade.B, Grade.B, Grade.C, Grade.C, Grade.C, Grade.D, ""]
    sizes = list(CompanySize.values)
    sources = list(CustomerSource.values)
    stages = list(LifecycleStage.values)
    rows = Inserter(
        Customer,
        [
            "name", "credit_code", "grade", "industry", "province", "city", "district", "street", "size",
            "annual_revenue", "phone", "source", "lifecycle_stage", "owner_id", "team_id", "created_at",
            "updated_at", "search_text", "name_key", "last_follow_up_at",
        ],
    )  # fmt: skip
    revenue_value = db_value(Customer, "annual_revenue")
    tag_rows = Inserter(Customer.tags.through, ["customer_id", "tag_id"])
    tag_ids = [tag.pk for tag in tags]
    big = bool(plan.big)
    for batch in batches(composition.customers):
        values: list[tuple[Any, ...]] = []
        for index in batch:
            _name, _full, _initials, region, industry = naming.customer_name(index)
            name, full, initials = population.name(index)
            owner = rng.randrange(len(population.owners))
            created_ago = rng.randrange(THREE_YEARS)
            grade = rng.choice(grades)
            if big and index == BIG_CUSTOMER:
                owner, created_ago, grade = 0, THREE_YEARS, Grade.A
            owner_id, team_id = population.owners[owner]
            population.owner_of.append(owner)
            population.created_ago.append(created_ago)
            created = now - dt.timedelta(seconds=created_ago)
            phone = naming.mobile(rng) if rng.random() < 0.6 else ""
            credit = naming.credit_code(rng, f"{110000 + index % 90:06d}") if rng.random() < 0.4 else ""
            revenue = rng.choice([None, 5_000_000, 12_000_000, 50_000_000, 300_000_000, 2_000_000_000])
            district = rng.choice(region[3])
            street = f"{rng.choice(words.TRADE_WORDS)}路{rng.randrange(1, 999)}号"
            updated = created + dt.timedelta(seconds=rng.randrange(max(1, created_ago)))
            last_follow_up = None
            if plan.count_of(index):
                ago = last_ago[index] = min(created_ago, 3600 if big and index == BIG_CUSTOMER else _recency(rng))
                last_follow_up = at(now - dt.timedelta(seconds=ago))
            values.append(
                (
                    name, credit, grade, industry, region[1], region[2], district, street, rng.choice(sizes),
                    revenue_value(revenue), phone, rng.choice(sources), rng.choice(stages), owner_id, team_id,
                    at(created), at(updated), naming.search_text([(name, full, initials)], [phone], [credit]),
                    company_key(name), last_follow_up,
                )
            )  # fmt: skip
        with transaction.atomic():
            ids = rows.insert_returning_ids(values)
            population.customer_ids.extend(ids)
            tag_rows.insert(
                [(ids[n], tag_ids[rng.randrange(len(tag_ids))]) for n in range(len(ids)) if rng.random() < 0.3]
            )
        progress.advance("customers", len(batch))


def _load_contacts(rng: random.Random, composition: Composition, population: Population, progress: Progress) -> None:
    """Contact j belongs to customer j % customers, so customer c's first contact is contact c."""
    now, at = population.now, utc_datetime_value()
    customers = population.count
    rows = Inserter(
        Contact,
        [
            "name", "customer_id", "title", "deal_role", "mobile", "email", "wechat", "owner_id", "team_id",
            "created_at", "updated_at", "search_text", "name_key",
        ],
    )  # fmt: skip
    population.first_contact_ids.extend(array("q", [0]) * customers)
    population.first_contact_names.extend(array("H", [0]) * customers)
    for batch in batches(composition.contacts):
        values: list[tuple[Any, ...]] = []
        for index in batch:
            customer = index % customers
            number = rng.randrange(naming.PERSON_NAMES)
            name, full, initials = naming.person_name(number)
            if index < customers:
                population.first_contact_names[customer] = number
            mobile = naming.mobile(rng)
            email = f"{full}{index}@example.cn"
            owner_id, team_id = population.owner(customer)
            created = at(now - dt.timedelta(seconds=rng.randrange(population.created_ago[customer] + 1)))
            values.append(
                (
                    name, population.customer_ids[customer], rng.choice(words.TITLES), rng.choice(DEAL_ROLES),
                    mobile, email, f"wx_{full}{index % 1000}", owner_id, team_id, created, created,
                    naming.search_text([(name, full, initials)], [mobile], [email]), person_key(name),
                )
            )  # fmt: skip
        with transaction.atomic():
            ids = rows.insert_returning_ids(values)
        for index, contact_id in zip(batch, ids, strict=True):
            if index < customers:
                population.first_contact_ids[index] = contact_id
        progress.advance("contacts", len(batch))


def _load_follow_ups(
    rng: random.Random,
    composition: Composition,
    population: Population,
    plan: _FollowUpPlan,
    last_ago: array[int],
    progress: Progress,
) -> None:
    now, at = population.now, utc_datetime_value()
    today = timezone.localdate(now.replace(tzinfo=dt.UTC))
    rows = Inserter(
        Activity,
        [
            "customer_id", "contact_id", "kind", "content", "next_step", "next_contact_on", "occurred_at",
            "owner_id", "team_id", "created_at", "updated_at",
        ],
    )  # fmt: skip
    day_value = db_value(Activity, "next_contact_on")
    texts = words.ACTIVITY_TEXTS
    for batch in batches(composition.follow_ups):
        values: list[tuple[Any, ...]] = []
        for number in batch:
            customer, latest = plan.owner_of(number)
            kind, content, next_step = texts[rng.randrange(len(texts))]
            last = last_ago[customer]
            ago = last if latest else last + rng.randrange(population.created_ago[customer] - last + 1)
            occurred = at(now - dt.timedelta(seconds=ago))
            # A planned next contact on the latest follow-up of customers worked on lately: the reps' tasks.
            planned = latest and next_step and last < 14 * DAY and rng.random() < 0.6
            next_on = today + dt.timedelta(days=rng.randrange(-5, 15)) if planned else None
            contact = population.first_contact_ids[customer] if rng.random() < 0.6 else 0
            owner_id, team_id = population.owner(customer)
            values.append(
                (
                    population.customer_ids[customer], contact or None, kind, content, next_step,
                    day_value(next_on), occurred, owner_id, team_id, occurred, occurred,
                )
            )  # fmt: skip
        with transaction.atomic():
            rows.insert(values)
        progress.advance("follow-ups", len(batch))
