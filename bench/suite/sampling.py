"""What the workloads ask for, read from the seeded database: people, record ids, filter values, search terms.

Everything is drawn with fixed random seeds, so two runs on the same data send the same requests.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from typing import Any

SAMPLE_RECORDS = 400  # distinct records per kind for detail pages
SEARCH_CUSTOMERS = 40  # customers whose names and phones become search terms


@dataclass(frozen=True)
class BigCustomer:
    customer_id: int
    follow_ups: int
    found_by: str  # how it was found: the demo's constant, or "most follow-ups"


@dataclass
class Sample:
    director: str = "director"
    rep: str = "rep1"
    manager: str = "manager1"  # rep1's team's manager in the demo organisation
    rep_id: int = 0
    team_id: int = 0
    owner_ids: list[int] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    contact_customer_id: int | None = None
    lead_ids: list[int] = field(default_factory=list)
    deal_ids: list[int] = field(default_factory=list)
    contract_ids: list[int] = field(default_factory=list)
    pipeline_id: int | None = None
    first_open_stage_id: int | None = None
    industry: str = ""
    province: str = ""
    name_terms: list[str] = field(default_factory=list)
    initials_terms: list[str] = field(default_factory=list)
    phone_terms: list[str] = field(default_factory=list)
    duplicate_probes: list[dict[str, str]] = field(default_factory=list)
    big_customer: BigCustomer | None = None

    @classmethod
    def stand_in(cls) -> Sample:
        """Enough to list every workload without a database (`crm bench --list`)."""
        return cls(pipeline_id=0, first_open_stage_id=0, big_customer=BigCustomer(0, 0, "a stand-in"))


def _ids(model: Any, count: int, seed: int) -> list[int]:
    """Up to `count` random existing ids of live rows, drawn from the id range (no full scan)."""
    ids = model.objects.order_by("id").values_list("id", flat=True)
    first, last = ids.first(), model.objects.order_by("-id").values_list("id", flat=True).first()
    if first is None or last is None:
        return []
    rng = random.Random(seed)
    wanted = rng.sample(range(first, last + 1), min(count * 2, last - first + 1))
    found: set[int] = set()
    for start in range(0, len(wanted), 500):
        found.update(model.objects.filter(pk__in=wanted[start : start + 500]).values_list("id", flat=True))
    return [pk for pk in wanted if pk in found][:count]


def big_customer() -> BigCustomer | None:
    """The demo's customer with 5,000 follow-ups, found by the name crm.demo.composition gives it;
    failing that, the customer with the most follow-ups (one grouped scan of the follow-ups)."""
    from django.db.models import Count

    from crm.activities.models import Activity
    from crm.customers.models import Customer

    try:
        name = getattr(importlib.import_module("crm.demo.composition"), "BIG_CUSTOMER_NAME", None)
    except ImportError:
        name = None
    if name:
        found = Customer.objects.filter(name=name).values_list("id", flat=True).first()
        if found is not None:
            count = Activity.objects.filter(customer_id=found).count()
            return BigCustomer(customer_id=found, follow_ups=count, found_by=f"crm.demo's BIG_CUSTOMER_NAME ({name})")
    busiest = (
        Activity.objects.filter(customer_id__isnull=False)
        .values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n", "customer_id")
        .first()
    )
    if busiest is None:
        return None
    return BigCustomer(customer_id=busiest["customer_id"], follow_ups=busiest["n"], found_by="most follow-ups")


def _search_terms(sample: Sample) -> None:
    """Terms people type, cut from real customer names: region + trade (北京华信), trade + industry
    (华信科技), a two-character trade name (华信, the LIKE path), their pinyin initials, and phone digits."""
    from crm.core.pinyin import pinyin_forms
    from crm.customers.models import Customer

    rows = list(
        Customer.objects.filter(pk__in=sample.customer_ids[: SEARCH_CUSTOMERS * 2]).values_list("name", "phone")
    )[:SEARCH_CUSTOMERS]
    names: list[str] = []
    for index, (name, _phone) in enumerate(rows):
        cut = [name[0:4], name[2:6], name[2:4]][index % 3]
        names.append(cut)
    initials = [pinyin_forms(term)[1] for term in names if len(term) >= 4]
    phones: list[str] = []
    for index, (_name, phone) in enumerate(rows):
        digits = "".join(ch for ch in (phone or "") if ch.isdigit()).removeprefix("86")
        if len(digits) >= 8:
            phones.append(digits if index % 2 == 0 else digits[-8:])  # the whole number, or its last 8 digits
    sample.name_terms = list(dict.fromkeys(names))
    sample.initials_terms = list(dict.fromkeys(term for term in initials if term))
    sample.phone_terms = list(dict.fromkeys(phones))


def _duplicate_probes(sample: Sample) -> None:
    """New leads as a rep types them: a variant of an existing company's name, an existing phone,
    an existing contact's mobile, or nothing that matches."""
    from crm.customers.models import Contact, Customer

    customers = list(
        Customer.objects.filter(pk__in=sample.customer_ids[:200]).values_list("name", "phone", "credit_code")
    )
    mobiles = list(
        Contact.objects.filter(customer_id__in=sample.customer_ids[:200]).values_list("name", "mobile")[:200]
    )
    probes: list[dict[str, str]] = []
    for index, (name, phone, _code) in enumerate(customers):
        kind = index % 4
        if kind == 0:  # 北京华信科技有限公司 → 华信科技(北京)股份有限公司
            core = name[2:].removesuffix("集团有限公司").removesuffix("股份有限公司").removesuffix("有限公司")
            probes.append({"name": "王先生", "company_name": f"{core}({name[:2]})股份有限公司"})
        elif kind == 1 and phone:
            probes.append({"name": "李女士", "company_name": "新客户有限公司", "phone": phone})
        elif kind == 2 and mobiles:
            person, mobile = mobiles[index % len(mobiles)]
            probes.append({"name": person, "company_name": "新客户有限公司", "mobile": mobile or ""})
        else:
            probes.append(
                {"name": "赵先生", "company_name": f"未见过{index}号贸易有限公司", "mobile": f"139{index:08d}"}
            )
    sample.duplicate_probes = probes


def collect(*, with_big_customer: bool = True) -> Sample:
    from crm.contracts.models import Contract
    from crm.customers.models import Contact, Customer
    from crm.deals.models import Deal, Stage, StageKind
    from crm.deals.selectors import pipeline_default
    from crm.identity.models import User
    from crm.leads.models import Lead

    sample = Sample()
    rep = User.objects.get(username=sample.rep)
    sample.rep_id, sample.team_id = rep.pk, rep.team_id or 0
    sample.owner_ids = list(User.objects.filter(username__startswith="rep").order_by("id").values_list("id", flat=True))
    sample.customer_ids = _ids(Customer, SAMPLE_RECORDS, 11)
    sample.lead_ids = _ids(Lead, SAMPLE_RECORDS, 12)
    sample.deal_ids = _ids(Deal, SAMPLE_RECORDS, 13)
    sample.contract_ids = _ids(Contract, SAMPLE_RECORDS, 14)
    sample.contact_customer_id = (
        Contact.objects.filter(customer_id__in=sample.customer_ids[:50]).values_list("customer_id", flat=True).first()
    )
    pipeline = pipeline_default()
    if pipeline is not None:
        sample.pipeline_id = pipeline.pk
        sample.first_open_stage_id = (
            Stage.objects.filter(pipeline=pipeline, kind=StageKind.OPEN)
            .order_by("position")
            .values_list("id", flat=True)
        ).first()
    first = (
        Customer.objects.filter(pk__in=sample.customer_ids[:20])
        .exclude(industry="")
        .values_list("industry", "province")
    )
    sample.industry, sample.province = next(iter(first), ("", ""))
    _search_terms(sample)
    _duplicate_probes(sample)
    if with_big_customer:
        sample.big_customer = big_customer()
    return sample
