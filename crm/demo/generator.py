"""Builds the demo organisation and bulk-inserts customers, contacts and follow-ups.

Names are composed from word lists whose pinyin is computed once, so a million customers
cost a million string joins rather than a million pinyin conversions. Rows go in as plain
multi-row INSERTs of tuples, and the plain and search indexes are built once at the end.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from crm.activities.models import Activity
from crm.activities.services import last_follow_ups_refresh, tasks_from_planned_contacts
from crm.approvals.demo import demo_approval_flows
from crm.audit.models import Verb
from crm.audit.services import audit_record
from crm.contracts.demo import demo_contracts
from crm.core.actors import system_actor
from crm.core.bulk_loading import plain_indexes_deferred
from crm.core.credit_code import ALPHABET, check_character
from crm.core.pinyin import pinyin_forms
from crm.core.search import search_index_deferred
from crm.customers.duplicates.normalise import company_key, person_key
from crm.customers.models import CompanySize, Contact, Customer, CustomerSource, Grade, LifecycleStage, Tag
from crm.demo import vocabulary as words
from crm.demo.campaigns import demo_campaigns
from crm.demo.deals import DEMO_DEALS, demo_deals
from crm.demo.lead_rules import demo_lead_rules
from crm.demo.quotes import demo_quotes
from crm.identity.models import BuiltinRole, Role, Team, TeamKind, User
from crm.leads.services import lead_create
from crm.payments.demo import demo_payments

DEMO_PASSWORD = "demo1234"  # noqa: S105  (printed on purpose: these are demo accounts)
DEMO_LEADS = 40
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


# Mobile prefixes the phone validator accepts, so demo records can be edited and saved as they are.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
    "158", "159", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "198", "199",
)  # fmt: skip


def _mobile(rng: random.Random) -> str:
    return f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


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


class _Inserter:
    """A multi-row INSERT of some columns of `model`; every other column gets its field default.

    bulk_create builds and inspects a model instance per row, which costs more than the
    database's own work at a million rows; here each row is a tuple of database values.
    """

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        meta = model._meta
        by_name = {name: field for field in meta.concrete_fields for name in (field.name, field.attname)}
        given = [by_name[name] for name in fields]
        rest = [field for field in meta.concrete_fields if not field.primary_key and field not in given]
        self.tail = tuple(field.get_db_prep_save(field.get_default(), connection) for field in rest)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(field.column)) for field in [*given, *rest])
        marks = ", ".join(["%s"] * (len(given) + len(rest)))
        self.table = meta.db_table
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        tail = self.tail
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, [row + tail for row in rows])

    def last_ids(self, count: int) -> list[int]:
        """The ids of the `count` rows just inserted, in insertion order (call in the same transaction)."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {quote(self.table)} ORDER BY id DESC LIMIT %s", [count])  # noqa: S608
            return [row_id for (row_id,) in reversed(cursor.fetchall())]


def _db_value(model: type[Model], field_name: str) -> Callable[[Any], Any]:
    """The field's own conversion to a database value, memoised (for columns with few distinct values)."""
    field = model._meta.get_field(field_name)
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            cache[value] = converted = field.get_db_prep_save(value, connection)  # type: ignore[union-attr]
            return converted

    return convert


def _utc_datetime_value() -> Callable[[dt.datetime], Any]:
    """A naive-UTC datetime to the value Django would store for the aware one.

    SQLite stores the text of the naive UTC time, which is all Django's adapter does for an
    aware value in a UTC connection; other databases take the aware value.
    """
    if connection.vendor == "sqlite":
        return str
    return lambda value: value.replace(tzinfo=dt.UTC)


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
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB for this connection: index pages stay cached
    with transaction.atomic():
        reps, logins = build_organisation()
        tags = [Tag.objects.create(name=name) for name in words.TAGS]
    with (
        search_index_deferred(Customer, Contact),
        plain_indexes_deferred(Customer, Customer.tags.through, Contact, Activity),
    ):
        contact_total, activity_total = _load(
            rng,
            reps=reps,
            tags=tags,
            customers=customers,
            contacts_per_customer=contacts_per_customer,
            activities_per_customer=activities_per_customer,
            report=report,
        )

    tasks_from_planned_contacts(actor=system_actor("demo"))
    last_follow_ups_refresh()  # the follow-ups above went in by SQL, past the services that keep it
    demo_lead_rules(rng, reps=reps)
    leads = _demo_leads(rng, reps=reps, count=min(DEMO_LEADS, customers))
    leads += demo_campaigns(rng, reps=reps)
    demo_deals(rng, count=min(DEMO_DEALS, customers))
    demo_quotes(rng)
    demo_approval_flows()
    demo_contracts(rng)
    demo_payments(rng)
    with transaction.atomic():
        audit_record(
            actor=system_actor("demo"),
            verb=Verb.CREATE,
            target_type="demo.dataset",
            changes={
                "customers": customers,
                "contacts": contact_total,
                "activities": activity_total,
                "leads": leads,
            },
        )
    return logins


def _demo_leads(rng: random.Random, *, reps: list[User], count: int) -> int:
    """A handful of fresh leads through the leads service, so the lead screens have something to show."""
    channels = ["web_form", "event", "advertising", "referral", "manual"]
    campaigns = ["2026 秋季展会", "官网免费试用", "百度推广", "老客户转介绍", ""]
    for number in range(count):
        region = words.REGIONS[rng.randrange(len(words.REGIONS))]
        trade = words.TRADE_WORDS[rng.randrange(len(words.TRADE_WORDS))]
        industry_word, industry = words.INDUSTRIES[rng.randrange(len(words.INDUSTRIES))]
        owner = reps[number % len(reps)]
        lead_create(
            actor=system_actor("demo"),
            values={
                "name": words.SURNAMES[rng.randrange(len(words.SURNAMES))]
                + words.GIVEN_NAMES[rng.randrange(len(words.GIVEN_NAMES))],
                "company_name": f"{region[0]}{trade}{industry_word}有限公司",
                "title": rng.choice(words.TITLES),
                # Prefixes every numbering plan accepts: these go through the service's validation.
                "mobile": f"{rng.choice(['138', '139', '136', '186', '158', '150'])}{rng.randrange(10**8):08d}",
                "province": region[1],
                "city": region[2],
                "industry": industry,
                "channel": channels[number % len(channels)],
                "campaign": campaigns[number % len(campaigns)],
                "owner_id": owner.pk,
            },
        )
    return count


def _load(
    rng: random.Random,
    *,
    reps: list[User],
    tags: list[Tag],
    customers: int,
    contacts_per_customer: float,
    activities_per_customer: float,
    report: Progress,
) -> tuple[int, int]:
    """Insert customers, contacts and follow-ups in batches; returns (contacts, follow-ups) inserted."""
    now = timezone.now().astimezone(dt.UTC).replace(tzinfo=None)
    today = timezone.localdate()
    three_years = 3 * 365 * 24 * 3600
    grades = [Grade.A, Grade.B, Grade.B, Grade.C, Grade.C, Grade.C, Grade.D, ""]
    sizes = list(CompanySize.values)
    sources = list(CustomerSource.values)
    stages = list(LifecycleStage.values)
    customer_ids: list[int] = []  # by customer index, read back after each batch
    at = _utc_datetime_value()
    owners = [(rep.pk, rep.team_id) for rep in reps]
    # Contacts and follow-ups belong to their customer's owner and team (follow-ups as if the
    # owner logged them), so those are known here rather than fixed up by UPDATEs afterwards.
    owner_of_customer: list[tuple[int, int | None]] = [owners[0]] * customers

    customer_rows = _Inserter(
        Customer,
        [
            "name", "credit_code", "grade", "industry", "province", "city", "district", "street", "size",
            "annual_revenue", "phone", "source", "lifecycle_stage", "owner_id", "team_id", "created_at",
            "updated_at", "search_text", "name_key",
        ],
    )  # fmt: skip
    revenue_value = _db_value(Customer, "annual_revenue")
    tag_through = Customer.tags.through
    tag_rows = _Inserter(tag_through, ["customer_id", "tag_id"])
    tag_ids = [tag.pk for tag in tags]
    for batch in _batches(customers):
        rows: list[tuple[Any, ...]] = []
        for index in batch:
            name, full, initials, region, industry = _customer_name(index, rng)
            if index == 0:
                name, full, initials = (
                    "北京字节跳动科技有限公司",
                    "beijingzijietiaodongkejiyouxiangongsi",
                    "bjzjtdkjyxgs",
                )
            owner_id, team_id = owner_of_customer[index] = owners[rng.randrange(len(owners))]
            created = now - dt.timedelta(seconds=rng.randrange(three_years))
            phone = _mobile(rng) if rng.random() < 0.6 else ""
            credit = _credit_code(rng, f"{110000 + index % 90:06d}") if rng.random() < 0.4 else ""
            revenue = rng.choice([None, 5_000_000, 12_000_000, 50_000_000, 300_000_000, 2_000_000_000])
            # The random draws below keep the order the fields had in the model constructor before,
            # so a given seed still yields the same data.
            grade = rng.choice(grades)
            district = rng.choice(region[3])
            street = f"{rng.choice(words.TRADE_WORDS)}路{rng.randrange(1, 999)}号"
            size = rng.choice(sizes)
            source = rng.choice(sources)
            stage = rng.choice(stages)
            updated = created + dt.timedelta(seconds=rng.randrange(max(1, int((now - created).total_seconds()))))
            rows.append(
                (
                    name, credit, grade, industry, region[1], region[2], district, street, size,
                    revenue_value(revenue), phone, source, stage, owner_id, team_id, at(created), at(updated),
                    _search_text(name, full, initials, [phone], [credit]), company_key(name),
                )
            )  # fmt: skip
        with transaction.atomic():
            customer_rows.insert(rows)
            customer_ids += customer_rows.last_ids(len(rows))
            links = [
                (customer_ids[index], tag_ids[rng.randrange(len(tag_ids))]) for index in batch if rng.random() < 0.3
            ]
            tag_rows.insert(links)
        report("customers", len(batch))

    contact_total = int(customers * contacts_per_customer)
    contact_rows = _Inserter(
        Contact,
        [
            "name", "customer_id", "title", "deal_role", "mobile", "email", "wechat", "owner_id", "team_id",
            "created_at", "updated_at", "search_text", "name_key",
        ],
    )  # fmt: skip
    deal_roles = ["decision_maker", "influencer", "user", "technical", "purchasing"]
    for batch in _batches(contact_total):
        rows = []
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
            owner_id, team_id = owner_of_customer[customer_offset]
            created = now - dt.timedelta(seconds=rng.randrange(three_years))
            title = rng.choice(words.TITLES)
            deal_role = rng.choice(deal_roles)
            created_value = at(created)
            rows.append(
                (
                    name, customer_ids[customer_offset], title, deal_role, mobile, email, f"wx_{full}{index % 1000}",
                    owner_id, team_id, created_value, created_value,
                    _search_text(name, full, initials, [mobile], [email]), person_key(name),
                )
            )  # fmt: skip
        with transaction.atomic():
            contact_rows.insert(rows)
        report("contacts", len(batch))

    activity_total = int(customers * activities_per_customer)
    activity_rows = _Inserter(
        Activity,
        [
            "customer_id", "kind", "content", "next_step", "next_contact_on", "occurred_at", "owner_id", "team_id",
            "created_at", "updated_at",
        ],
    )  # fmt: skip
    day_value = _db_value(Activity, "next_contact_on")
    for batch in _batches(activity_total):
        rows = []
        for index in batch:
            customer_offset = index % customers
            kind, content, next_step = words.ACTIVITY_TEXTS[rng.randrange(len(words.ACTIVITY_TEXTS))]
            occurred = at(now - dt.timedelta(seconds=rng.randrange(180 * 24 * 3600)))
            is_latest = index >= activity_total - customers
            next_on = today + dt.timedelta(days=rng.randrange(-5, 10)) if is_latest and next_step else None
            owner_id, team_id = owner_of_customer[customer_offset]
            rows.append(
                (customer_ids[customer_offset], kind, content, next_step, day_value(next_on), occurred, owner_id,
                 team_id, occurred, occurred)
            )  # fmt: skip
        with transaction.atomic():
            activity_rows.insert(rows)
        report("activities", len(batch))
    return contact_total, activity_total
