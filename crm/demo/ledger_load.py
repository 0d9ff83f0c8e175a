"""Bulk load of signed demo contracts with their payment plans, payments, allocations and a few invoices.

The ledger's invariants hold row by row as the services keep them: a contract's amount is the sum
of its instalments (and its won deal's amount), an instalment's `collected` is the sum of its
allocations and never more than its amount, a payment's amount is the sum of its allocations.
Contracts still running are active, those past their end date expired; instalments due in the
past are mostly paid, some partly or not at all (the ageing report's overdue buckets).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.contracts.models import Contract, ContractNumberSequence, ContractSettings, ContractStatus
from crm.contracts.numbering import PatternError, parse_pattern
from crm.contracts.selectors import contract_settings_get
from crm.customers.models import Customer
from crm.demo.customer_load import DAY, THREE_YEARS, Population
from crm.demo.deal_load import WonDeals
from crm.demo.deals import PRODUCTS
from crm.demo.inserting import Inserter, batches, money_value, utc_datetime_value
from crm.demo.progress import Progress
from crm.payments.models import (
    Instalment,
    Invoice,
    InvoiceKind,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentPlan,
)

CONTRACTS_PER_BATCH = 1000
INVOICE_EVERY = 10  # one contract in ten has an invoice for its first instalment
METHODS = [PaymentMethod.BANK_TRANSFER] * 6 + [PaymentMethod.ONLINE] * 2 + [PaymentMethod.CHEQUE, PaymentMethod.CASH]
TERMS_YEARS = (1, 1, 2, 3)
# A contract being loaded: customer index, amount in cents, signed, starts, ends, number of instalments.
Shape = tuple[int, int, dt.date, dt.date, dt.date, int]


@dataclass(frozen=True)
class LedgerCounts:
    contracts: int
    instalments: int
    payments: int
    invoices: int


def _instalment_counts(rng: random.Random, contracts: int, instalments: int) -> list[int]:
    """How many instalments each contract has: about the mean, never fewer than one, adding up exactly."""
    mean, extra = divmod(instalments, contracts)
    counts = [mean + (1 if number < extra else 0) for number in range(contracts)]
    # Move instalments between neighbours so plans range from one payment to many.
    for number in range(0, contracts - 1, 2):
        shift = rng.randrange(min(counts[number], counts[number + 1]))
        if rng.random() < 0.5:
            shift = -shift
        counts[number] -= shift
        counts[number + 1] += shift
    return counts


def _shares(amount: int, parts: int) -> list[int]:
    """Cents of each instalment: an advance of 30% when there are several, the rest evenly, exact."""
    if parts == 1:
        return [amount]
    advance = amount * 3 // 10
    rest = amount - advance
    shares = [advance] + [rest // (parts - 1)] * (parts - 1)
    shares[-1] += amount - sum(shares)
    return shares


def _note(position: int, parts: int) -> str:
    if parts == 1:
        return "全款"
    return "预付款" if position == 1 else "尾款" if position == parts else f"第 {position} 期"


def _collected(rng: random.Random, amount: int, due_ago: int) -> int:
    """Cents collected on an instalment due `due_ago` seconds ago (negative: not due yet)."""
    roll = rng.random()
    if due_ago < 0:
        return amount if roll < 0.08 else 0
    if roll < 0.8:
        return amount
    if roll < 0.88:
        return max(1, amount * rng.randrange(20, 80) // 100)
    return 0


def load_ledger(
    rng: random.Random,
    *,
    contracts: int,
    instalments: int,
    won: WonDeals,
    population: Population,
    finance_user_id: int | None,
    progress: Progress,
) -> LedgerCounts:
    """Insert `contracts` signed contracts (on the won deals first) sharing `instalments` instalments."""
    progress.begin("contracts", max(0, contracts))
    if contracts <= 0:
        return LedgerCounts(0, 0, 0, 0)
    instalments = max(instalments, contracts)
    loader = _LedgerLoader(rng, population, won, finance_user_id)
    counts = _instalment_counts(rng, contracts, instalments)
    for batch in batches(contracts, CONTRACTS_PER_BATCH):
        with transaction.atomic():
            loader.load([(number, counts[number]) for number in batch])
        progress.advance("contracts", len(batch))
    loader.save_sequences()
    return LedgerCounts(loader.contracts.count, loader.instalments.count, loader.payments.count, loader.invoices.count)


class _LedgerLoader:
    def __init__(self, rng: random.Random, population: Population, won: WonDeals, finance_user_id: int | None) -> None:
        self.rng, self.population, self.won, self.finance_user_id = rng, population, won, finance_user_id
        self.now, self.at, self.money = population.now, utc_datetime_value(), money_value()
        self.today = timezone.localdate(self.now.replace(tzinfo=dt.UTC))
        settings = contract_settings_get()
        try:
            self.pattern = parse_pattern(settings.number_pattern)
        except PatternError:
            self.pattern = parse_pattern(str(ContractSettings._meta.get_field("number_pattern").get_default()))
        self.our_party = settings.our_party
        self.sequences: dict[str, int] = defaultdict(int)
        self.sequences.update(ContractNumberSequence.objects.values_list("scope", "last_number"))
        self.contracts = Inserter(
            Contract,
            [
                "number", "title", "customer_id", "deal_id", "status", "amount", "signed_on", "starts_on", "ends_on",
                "our_party", "customer_party", "owner_id", "team_id", "submitted_at", "activated_at", "created_by_id",
                "created_at", "updated_at",
            ],
        )  # fmt: skip
        self.plans = Inserter(PaymentPlan, ["contract_id", "updated_by_id", "created_at", "updated_at"])
        self.instalments = Inserter(
            Instalment, ["contract_id", "number", "amount", "due_on", "note", "collected", "created_at", "updated_at"]
        )
        self.payments = Inserter(
            Payment,
            [
                "contract_id",
                "amount",
                "received_on",
                "method",
                "reference",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
        )
        self.allocations = Inserter(PaymentAllocation, ["payment_id", "instalment_id", "amount"])
        self.invoices = Inserter(
            Invoice,
            ["contract_id", "kind", "number", "amount", "issued_on", "title", "tax_id", "created_by_id", "created_at",
             "updated_at"],
        )  # fmt: skip

    def _number(self, day: dt.date) -> str:
        scope = self.pattern.scope(day)
        self.sequences[scope] += 1
        return self.pattern.number(day, self.sequences[scope])

    def _stamp(self, day: dt.date, hour: int) -> Any:
        """A time on `day` (in the organisation's zone), as stored."""
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
        return self.at(min(moment.astimezone(dt.UTC).replace(tzinfo=None), self.now))

    def load(self, plan: list[tuple[int, int]]) -> None:
        rng, population, won = self.rng, self.population, self.won
        contract_rows: list[tuple[Any, ...]] = []
        shapes: list[Shape] = []
        for number, parts in plan:
            if number < len(won.ids):
                customer, amount, deal_id = won.customers[number], won.amounts[number], won.ids[number]
                title = f"{PRODUCTS[won.products[number]]}合同"
                closed = (self.now - dt.timedelta(seconds=won.closed_ago[number])).date()
                signed = min(self.today, closed + dt.timedelta(days=rng.randrange(1, 11)))
            else:
                customer, deal_id = rng.randrange(population.count), None
                amount = rng.randrange(20, 3000) * 100_000
                title = "年度技术服务合同"
                signed = self.today - dt.timedelta(seconds=rng.randrange(10 * DAY, THREE_YEARS))
            # Every instalment of the plan needs a positive amount.
            amount = max(amount, 10 * parts)
            starts = signed + dt.timedelta(days=7)
            ends = starts + dt.timedelta(days=365 * rng.choice(TERMS_YEARS) - 1)
            owner_id, team_id = population.owner(customer)
            status = ContractStatus.ACTIVE if ends >= self.today else ContractStatus.EXPIRED
            created = self._stamp(signed - dt.timedelta(days=3), 10)
            activated = self._stamp(signed, 16)
            contract_rows.append(
                (
                    self._number(signed), title, population.customer_ids[customer], deal_id, status.value,
                    self.money(amount), signed, starts, ends, self.our_party, population.name(customer)[0], owner_id,
                    team_id, self._stamp(signed - dt.timedelta(days=2), 11), activated, owner_id, created, activated,
                )
            )  # fmt: skip
            shapes.append((customer, amount, signed, starts, ends, parts))
        contract_ids = self.contracts.insert_returning_ids(contract_rows)
        self.plans.insert(
            [
                (contract_id, population.owner(customer)[0], row[-1], row[-1])
                for contract_id, row, (customer, *_rest) in zip(contract_ids, contract_rows, shapes, strict=True)
            ]
        )
        self._plans_and_payments(contract_ids, shapes)

    def _plans_and_payments(self, contract_ids: list[int], shapes: list[Shape]) -> None:
        rng = self.rng
        instalment_rows: list[tuple[Any, ...]] = []
        # Per instalment, in the same order: (contract id, cents, cents collected, due date, signed on).
        facts: list[tuple[int, int, int, dt.date, dt.date]] = []
        invoiced: list[tuple[int, int, int, dt.date]] = []  # contract id, customer, cents, issued on
        for contract_id, (customer, amount, signed, starts, ends, parts) in zip(contract_ids, shapes, strict=True):
            first_due = starts + dt.timedelta(days=rng.randrange(0, 15))
            spacing = max(30, (ends - first_due).days // parts)
            for position, cents in enumerate(_shares(amount, parts), start=1):
                due = first_due + dt.timedelta(days=spacing * (position - 1))
                collected = _collected(rng, cents, (self.today - due).days * DAY)
                note = _note(position, parts)
                stamp = self._stamp(signed, 17)
                instalment_rows.append(
                    (contract_id, position, self.money(cents), due, note, self.money(collected), stamp, stamp)
                )
                facts.append((contract_id, cents, collected, due, signed))
            if contract_id % INVOICE_EVERY == 0:
                invoiced.append((contract_id, customer, _shares(amount, parts)[0], min(first_due, self.today)))
        instalment_ids = self.instalments.insert_returning_ids(instalment_rows)
        self._payments(instalment_ids, facts)
        self._invoices(invoiced)

    def _payments(self, instalment_ids: list[int], facts: list[tuple[int, int, int, dt.date, dt.date]]) -> None:
        """One payment per paid instalment; now and then one payment for two, or two for one."""
        rng = self.rng
        payment_rows: list[tuple[Any, ...]] = []
        # Per payment, in the same order: its allocations as (instalment id, cents).
        splits: list[list[tuple[int, int]]] = []
        previous: tuple[int, int, dt.date] | None = None  # the last single payment's contract, cents and day
        for instalment_id, (contract_id, cents, collected, due, signed) in zip(instalment_ids, facts, strict=True):
            if not collected:
                previous = None
                continue
            received = min(self.today, max(signed, due + dt.timedelta(days=rng.randrange(-10, 40))))
            if previous is not None and previous[0] == contract_id and collected == cents and rng.random() < 0.15:
                # The customer paid this instalment together with the previous one.
                payment_rows[-1] = self._payment(contract_id, previous[1] + collected, previous[2])
                splits[-1].append((instalment_id, collected))
                previous = None
                continue
            if collected == cents and cents >= 200 and rng.random() < 0.1:
                first = cents // 2
                earlier = max(signed, received - dt.timedelta(days=rng.randrange(1, 30)))
                payment_rows.append(self._payment(contract_id, first, earlier))
                splits.append([(instalment_id, first)])
                payment_rows.append(self._payment(contract_id, cents - first, received))
                splits.append([(instalment_id, cents - first)])
                previous = None
                continue
            payment_rows.append(self._payment(contract_id, collected, received))
            splits.append([(instalment_id, collected)])
            previous = (contract_id, collected, received)
        payment_ids = self.payments.insert_returning_ids(payment_rows)
        self.allocations.insert(
            [
                (payment_id, instalment_id, self.money(cents))
                for payment_id, parts in zip(payment_ids, splits, strict=True)
                for instalment_id, cents in parts
            ]
        )

    def _payment(self, contract_id: int, cents: int, received: dt.date) -> tuple[Any, ...]:
        stamp = self._stamp(received, 15)
        return (
            contract_id, self.money(cents), received, self.rng.choice(METHODS),
            f"回单 {received:%Y%m%d}-{contract_id}", self.finance_user_id, stamp, stamp,
        )  # fmt: skip

    def _invoices(self, invoiced: list[tuple[int, int, int, dt.date]]) -> None:
        if not invoiced:
            return
        ids = [self.population.customer_ids[customer] for _contract, customer, _cents, _day in invoiced]
        codes = dict(Customer.all_objects.filter(pk__in=ids).values_list("pk", "credit_code"))
        rows = []
        for contract_id, customer, cents, issued in invoiced:
            code = codes.get(self.population.customer_ids[customer], "")
            # A VAT invoice needs the buyer's taxpayer ID; customers without a credit code get a receipt.
            if code:
                kind, number = InvoiceKind.VAT_SPECIAL, f"{44000000 + contract_id:08d}"
            else:
                kind, number = InvoiceKind.OTHER, f"R{contract_id:07d}"
            stamp = self._stamp(issued, 14)
            rows.append(
                (contract_id, kind.value, number, self.money(cents), issued, self.population.name(customer)[0], code,
                 self.finance_user_id, stamp, stamp)
            )  # fmt: skip
        self.invoices.insert(rows)

    def save_sequences(self) -> None:
        """Contracts made later through the service continue after the numbers used here."""
        for scope, last in self.sequences.items():
            ContractNumberSequence.objects.update_or_create(scope=scope, defaults={"last_number": last})
