"""What the simulated people need to know before they start: who signs in, what each one searches
for, and deals whose stage moves are allowed. Runs in the runner's process, on the seeded database."""

from __future__ import annotations

import random
import re
from typing import Any

from django.db import transaction
from django.db.models import F

from crm.core import clock
from crm.core.pinyin import pinyin_forms
from crm.customers.models import Customer
from crm.deals.models import ChecklistItem, ChecklistTick, Deal, Stage, StageKind
from crm.identity.models import User

TERMS_PER_ACCOUNT = 40


def accounts() -> dict[str, list[str]]:
    """The demo's sales reps, team managers and finance clerks that can sign in."""
    patterns = {"rep": re.compile(r"rep\d+"), "manager": re.compile(r"manager\d+"), "finance": re.compile(r"finance")}
    by_role: dict[str, list[str]] = {role: [] for role in patterns}
    for username in User.objects.filter(is_active=True, email__endswith="@demo.crm").values_list("username", flat=True):
        for role, pattern in patterns.items():
            if pattern.fullmatch(username):
                by_role[role].append(username)
    for names in by_role.values():
        names.sort(key=lambda name: (len(name), name))  # rep1, rep2, ... rep10
    missing = [role for role, names in by_role.items() if not names]
    if missing:
        raise SystemExit(f"the demo data has no {', '.join(missing)} accounts")
    return by_role


def _terms_of(rows: list[tuple[str, str]], rng: random.Random) -> dict[str, list[str]]:
    """What someone types to find these customers: part of the name, of the phone, of the initials."""
    names: list[str] = []
    phones: list[str] = []
    initials: list[str] = []
    for name, phone in rows:
        trade = name[2:6] if len(name) >= 6 else name  # skip the region: "北京恒达科技" → "恒达科技"
        names.append(trade[: rng.choice((2, 4))])
        digits = phone.removeprefix("+86")
        if len(digits) >= 8:
            start = rng.randrange(0, len(digits) - 6)
            phones.append(digits[start : start + rng.choice((4, 7))])
        letters = pinyin_forms(name)[1]
        if len(letters) >= 3:
            initials.append(letters[: rng.choice((3, 4))])
    return {
        "names": list(dict.fromkeys(names)) or ["华信"],
        "phones": list(dict.fromkeys(phones)) or ["1380"],
        "initials": list(dict.fromkeys(initials)) or ["hdkj"],
    }


def search_terms(people: dict[str, list[str]], seed: int = 7) -> dict[str, dict[str, list[str]]]:
    """Per account, terms that find some of the customers it may see (reps: their own; managers:
    their team's; finance and anyone else: anyone's)."""
    rng = random.Random(seed)
    terms: dict[str, dict[str, list[str]]] = {}
    for username in people["rep"] + people["manager"]:
        user = User.objects.get(username=username)
        scope = Customer.objects.filter(owner=user) if username in people["rep"] else Customer.objects.none()
        if username in people["manager"] and user.team is not None:
            scope = Customer.objects.filter(team__path__startswith=user.team.path)
        rows = list(scope.order_by("-id").values_list("name", "phone")[:TERMS_PER_ACCOUNT])
        terms[username] = _terms_of(rows, rng)
    everyone = list(Customer.objects.order_by("-id").values_list("name", "phone")[: TERMS_PER_ACCOUNT * 5])
    terms["*"] = _terms_of(rng.sample(everyone, min(len(everyone), TERMS_PER_ACCOUNT)), rng)
    return terms


def prepare_deals() -> int:
    """Meet the entry requirements of the second and the fourth open stage on every open deal (a
    budget, the checklist ticked), as the reps would have done at work, so that the board's moves
    between the first two and the last two open stages are allowed both ways. Returns the number of
    open deals.

    Set-up data written in bulk, without audit entries: at 100,000 customers there are 10,000 open
    deals, and the services' one-deal-at-a-time path would take minutes.
    """
    open_deals = Deal.objects.filter(stage__kind=StageKind.OPEN)
    with transaction.atomic():
        open_deals.filter(budget__isnull=True).update(budget=F("amount"))
        ticked_at = clock.now()
        for pipeline_id in set(open_deals.values_list("pipeline_id", flat=True)):
            stages = list(Stage.objects.filter(pipeline_id=pipeline_id, kind=StageKind.OPEN).order_by("position"))
            items = list(ChecklistItem.objects.filter(stage__in=stages[1:2] + stages[3:4]))
            deal_ids = list(open_deals.filter(pipeline_id=pipeline_id).values_list("id", flat=True))
            ChecklistTick.objects.bulk_create(
                [ChecklistTick(deal_id=deal, item=item, ticked_at=ticked_at) for deal in deal_ids for item in items],
                batch_size=2000,
                ignore_conflicts=True,
            )
    return open_deals.count()


def build(run_id: str) -> dict[str, Any]:
    people = accounts()
    return {"run_id": run_id, "accounts": people, "terms": search_terms(people)}
