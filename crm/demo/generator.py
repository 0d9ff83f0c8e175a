"""Builds the demo organisation and bulk-inserts customers, contacts and follow-ups.

Names are composed from word lists whose pinyin is computed once, so a million customers
cost a million string joins rather than a million pinyin conversions.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from crm.activities.models import Activity
from crm.audit.models import Verb
from crm.audit.services import audit_record
from crm.core.actors import system_actor
from crm.core.credit_code import ALPHABET, check_character
from crm.core.pinyin import pinyin_forms
from crm.customers.models import CompanySize, Contact, Customer, CustomerSource, Grade, LifecycleStage, Tag
from crm.demo import vocabulary as words
from crm.identity.models import BuiltinRole, Role, Team, TeamKind, User

DEMO_PASSWORD = "demo1234"  # noqa: S105  (printed on purpose: these are demo accounts)
BATCH = 5000

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    team: str


def _pinyin(text: str) -> tuple[str, str]:
    return pinyin_forms(text) if text else ("", "")


def _team(name: str, kind: str, parent: Team | None) -> Team:
    team = Team.objects.create(name=name, kind=kind, parent=parent)
    team.path = f"{parent.path if parent else ''}{team.pk:06d}/"
    team.save(update_fields=["path"])
    return team


def build_organisation() -> tuple[list[User], list[DemoLogin]]:
    """Teams company → regions → teams, and users for every built-in role. Returns the reps."""
    roles = {role.code: role for role in Role.objects.all()}
    password = make_password(DEMO_PASSWORD)
    company = _team("星河科技集团", TeamKind.COMPANY, None)
    logins: list[DemoLogin] = []
    reps: list[User] = []

    def user(username: str, full_name: str, role: str, team: Team, *, manager: bool = False) -> User:
        account = User.objects.create(
            username=username,
            full_name=full_name,
            email=f"{username}@demo.crm",
            password=password,
            role=roles[role],
            team=team,
            is_team_manager=manager,
            is_superuser=role == BuiltinRole.ADMINISTRATOR,
            is_staff=role == BuiltinRole.ADMINISTRATOR,
        )
        logins.append(DemoLogin(username=username, role=str(roles[role].display_name), team=team.name))
        return account

    user("admin", "系统管理员", BuiltinRole.ADMINISTRATOR, company)
    user("director", "赵总监", BuiltinRole.SALES_DIRECTOR, company, manager=True)
    user("finance", "钱会计", BuiltinRole.FINANCE, company)
    regions = [
        ("华东大区", ["上海一组", "杭州组"]),
        ("华北大区", ["北京一组", "天津组"]),
        ("华南大区", ["深圳组", "广州组"]),
    ]
    rep_number = 0
    for region_index, (region_name, team_names) in enumerate(regions, start=1):
        region = _team(region_name, TeamKind.DEPARTMENT, company)
        user(
            f"regional{region_index}",
            f"{words.SURNAMES[region_index]}经理",
            BuiltinRole.SALES_MANAGER,
            region,
            manager=True,
        )
        for team_name in team_names:
            team = _team(team_name, TeamKind.TEAM, region)
            rep_number += 1
            user(
                f"manager{rep_number}",
                f"{words.SURNAMES[rep_number + 3]}组长",
                BuiltinRole.SALES_MANAGER,
                team,
                manager=True,
            )
            for seat in range(3):
                number = (rep_number - 1) * 3 + seat + 1
                reps.append(
                    user(
                        f"rep{number}",
                        f"{words.SURNAMES[number % 20]}{words.GIVEN_NAMES[number % 30]}",
                        BuiltinRole.SALES_REP,
                        team,
                    )
                )
    user("expert", "孙专家", BuiltinRole.PRODUCT_EXPERT, company)
    user("service", "周售后", BuiltinRole.AFTER_SALES, company)
    return reps, logins


def _mobile(rng: random.Random) -> str:
    return f"+861{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _credit_code(rng: random.Random, region_code: str) -> str:
    body = "91" + region_code + "".join(rng.choice(ALPHABET[:10] + "ABCDEFGH") for _ in range(9))
    return body + check_character(body)


def _customer_name(index: int, rng: random.Random) -> tuple[str, str, str, tuple[str, str, str, list[str]], str]:
    """(name, full pinyin, initials, region, industry) for the index-th demo company."""
    region = words.REGIONS[index % len(words.REGIONS)]
    trade = words.TRADE_WORDS[(index // len(words.REGIONS)) % len(words.TRADE_WORDS)]
    combos = len(words.REGIONS) * len(words.TRADE_WORDS)
    second = (
        words.TRADE_WORDS[(index // combos) % len(words.TRADE_WORDS)] if index >= combos * len(words.INDUSTRIES) else ""
    )
    industry_word, industry = words.INDUSTRIES[(index // combos) % len(words.INDUSTRIES)]
    suffix = words.SUFFIXES[index % 7 % len(words.SUFFIXES)]
    parts = [region[0], trade, second, industry_word, suffix]
    pinyins = [_pinyin(part) for part in parts]
    return (
        "".join(parts),
        "".join(full for full, _ in pinyins),
        "".join(initials for _, initials in pinyins),
        region,
        industry,
    )


def _search_text(name: str, full: str, initials: str, phones: list[str], others: list[str]) -> str:
    # Same layout as crm.core.search.build_search_text, from pinyin already at hand.
    parts = [name.lower(), full, initials]
    for phone in phones:
        if phone:
            parts += [phone.lstrip("+"), phone[3:] if phone.startswith("+86") else phone.lstrip("+")]
    parts += [other.lower() for other in others if other]
    return " ".join(part for part in parts if part)


def _batches(total: int) -> Iterator[range]:
    for start in range(0, total, BATCH):
        yield range(start, min(start + BATCH, total))


def generate(
    *,
    customers: int,
    contacts_per_customer: float,
    activities_per_customer: float,
    seed: int = 2026,
    progress: Progress | None = None,
) -> list[DemoLogin]:
    """Create the demo organisation and `customers` customers with contacts and follow-ups."""
    rng = random.Random(seed)
    report = progress or (lambda stage, count: None)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    with transaction.atomic():
        reps, logins = build_organisation()
        tags = [Tag.objects.create(name=name) for name in words.TAGS]
    now = timezone.now()
    today = timezone.localdate()
    three_years = 3 * 365 * 24 * 3600
    grades = [Grade.A, Grade.B, Grade.B, Grade.C, Grade.C, Grade.C, Grade.D, ""]
    sizes = list(CompanySize.values)
    sources = list(CustomerSource.values)
    stages = list(LifecycleStage.values)
    first_id = (Customer.all_objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    for batch in _batches(customers):
        rows: list[Customer] = []
        for index in batch:
            name, full, initials, region, industry = _customer_name(index, rng)
            if index == 0:
                name, full, initials = (
                    "北京字节跳动科技有限公司",
                    "beijingzijietiaodongkejiyouxiangongsi",
                    "bjzjtdkjyxgs",
                )
            owner = reps[rng.randrange(len(reps))]
            created = now - dt.timedelta(seconds=rng.randrange(three_years))
            phone = _mobile(rng) if rng.random() < 0.6 else ""
            credit = _credit_code(rng, f"{110000 + index % 90:06d}") if rng.random() < 0.4 else ""
            revenue = rng.choice([None, 5_000_000, 12_000_000, 50_000_000, 300_000_000, 2_000_000_000])
            rows.append(
                Customer(
                    name=name,
                    credit_code=credit,
                    grade=rng.choice(grades),
                    industry=industry,
                    province=region[1],
                    city=region[2],
                    district=rng.choice(region[3]),
                    street=f"{rng.choice(words.TRADE_WORDS)}路{rng.randrange(1, 999)}号",
                    size=rng.choice(sizes),
                    annual_revenue=revenue,
                    phone=phone,
                    source=rng.choice(sources),
                    lifecycle_stage=rng.choice(stages),
                    owner_id=owner.pk,
                    team_id=owner.team_id,
                    created_at=created,
                    updated_at=created
                    + dt.timedelta(seconds=rng.randrange(max(1, int((now - created).total_seconds())))),
                    search_text=_search_text(name, full, initials, [phone], [credit]),
                )
            )
        with transaction.atomic():
            Customer.objects.bulk_create(rows, batch_size=BATCH)
            tag_through = Customer.tags.through
            tag_links = [
                tag_through(customer_id=first_id + index, tag_id=tags[rng.randrange(len(tags))].pk)
                for index in batch
                if rng.random() < 0.3
            ]
            tag_through.objects.bulk_create(tag_links, batch_size=BATCH, ignore_conflicts=True)
        report("customers", len(batch))

    contact_total = int(customers * contacts_per_customer)
    for batch in _batches(contact_total):
        contact_rows: list[Contact] = []
        for index in batch:
            customer_offset = index % customers
            surname = words.SURNAMES[rng.randrange(len(words.SURNAMES))]
            given = words.GIVEN_NAMES[rng.randrange(len(words.GIVEN_NAMES))]
            name = surname + given
            full_s, _ = _pinyin(surname)
            full_g, initials_g = _pinyin(given)
            full, initials = full_s + full_g, full_s[:1] + initials_g
            mobile = _mobile(rng)
            email = f"{full}{index}@example.cn"
            owner = reps[(customer_offset * 7) % len(reps)]
            created = now - dt.timedelta(seconds=rng.randrange(three_years))
            contact_rows.append(
                Contact(
                    name=name,
                    customer_id=first_id + customer_offset,
                    title=rng.choice(words.TITLES),
                    deal_role=rng.choice(["decision_maker", "influencer", "user", "technical", "purchasing"]),
                    mobile=mobile,
                    email=email,
                    wechat=f"wx_{full}{index % 1000}",
                    owner_id=owner.pk,
                    team_id=owner.team_id,
                    created_at=created,
                    updated_at=created,
                    search_text=_search_text(name, full, initials, [mobile], [email]),
                )
            )
        with transaction.atomic():
            Contact.objects.bulk_create(contact_rows, batch_size=BATCH)
        report("contacts", len(batch))
    _fix_contact_owners()

    activity_total = int(customers * activities_per_customer)
    for batch in _batches(activity_total):
        activity_rows: list[Activity] = []
        for index in batch:
            customer_offset = index % customers
            kind, content, next_step = words.ACTIVITY_TEXTS[rng.randrange(len(words.ACTIVITY_TEXTS))]
            occurred = now - dt.timedelta(seconds=rng.randrange(180 * 24 * 3600))
            is_latest = index >= activity_total - customers
            next_on = today + dt.timedelta(days=rng.randrange(-5, 10)) if is_latest and next_step else None
            activity_rows.append(
                Activity(
                    customer_id=first_id + customer_offset,
                    kind=kind,
                    content=content,
                    next_step=next_step,
                    next_contact_on=next_on,
                    occurred_at=occurred,
                    owner_id=reps[0].pk,
                    created_at=occurred,
                    updated_at=occurred,
                )
            )
        with transaction.atomic():
            Activity.objects.bulk_create(activity_rows, batch_size=BATCH)
        report("activities", len(batch))
    _fix_activity_owners()

    with transaction.atomic():
        audit_record(
            actor=system_actor("demo"),
            verb=Verb.CREATE,
            target_type="demo.dataset",
            changes={"customers": customers, "contacts": contact_total, "activities": activity_total},
        )
    return logins


def _fix_contact_owners() -> None:
    """Contacts belong to their customer's owner, set in one statement rather than per row."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_contact SET owner_id = (SELECT c.owner_id FROM customers_customer c "
            "WHERE c.id = customers_contact.customer_id), team_id = (SELECT c.team_id FROM customers_customer c "
            "WHERE c.id = customers_contact.customer_id) WHERE customer_id IS NOT NULL"
        )


def _fix_activity_owners() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE activities_activity SET owner_id = (SELECT c.owner_id FROM customers_customer c "
            "WHERE c.id = activities_activity.customer_id), team_id = (SELECT c.team_id FROM customers_customer c "
            "WHERE c.id = activities_activity.customer_id)"
        )
