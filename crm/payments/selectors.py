"""Every read of the ledger, through the contracts' visibility rule; receivables by aggregate SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.utils.translation import gettext as _

from crm.contracts.models import Contract, ContractStatus
from crm.contracts.selectors import (
    contract_may_change,
    contract_may_see,
    contract_visibility_q,
    sees_all_contracts,
)
from crm.contracts.selectors import visible_contracts as contracts_visible_to
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import NotFound
from crm.core.money_sql import CENT, CentsSum, from_cents
from crm.core.pagination import Page, SortKey, paginate
from crm.core.plan_hints import UnaryPlus, more_than
from crm.customers.models import Customer
from crm.identity.models import Team, User
from crm.identity.selectors import team_subtree_ids
from crm.payments.ageing import BUCKETS, due_range
from crm.payments.allocation import OpenInstalment
from crm.payments.models import (
    RECEIVABLE_STATUSES,
    Instalment,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentPlan,
    PaymentSettings,
)

ZERO = Decimal("0.00")
EXPORT_LIMIT = 100_000
# Contracts whose unpaid amounts are owed: signed and not terminated.
# Money may arrive once a contract is signed, also after it expired or was terminated.
COLLECTABLE_STATUSES = (ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED)
PAYMENT_SORT = SortKey("received_on", descending=True)
INSTALMENT_SORT = SortKey("due_on", descending=False)
INVOICE_SORT = SortKey("issued_on", descending=True)


# Visibility ------------------------------------------------------------------------------------


def _on_contracts[M: Model](viewer: Actor, rows: QuerySet[M], conditions: Q, *, few: bool = False) -> QuerySet[M]:
    """Ledger rows (payments, instalments, invoices) of the live contracts the viewer may see (the
    contracts' own visibility rule) that also meet `conditions` (owner, team, customer, status…).

    With many such contracts (every one for a director, a rep's thousands, a big team) each row's
    contract is checked by its primary key while the list walks its date index: a page fills after a
    few hundred rows. With few (one customer's, a small team's) their rows are gathered through the
    contract index and sorted; the walk would read most of the list to find them. Either way the
    contract conditions stay inside a subquery: written on the join, they made SQLite first build a
    Bloom filter of the whole contracts table (30 ms per page at 200,000 contracts).

    `few`: the conditions name one customer or contract, so there is nothing to count.
    """
    wanted = contract_visibility_q(viewer) & conditions
    contracts = Contract.objects.filter(wanted)
    # Counted without the recycle bin's condition, so mostly from an index alone: it only picks the plan.
    if not few and (not wanted or more_than(Contract.all_objects.filter(wanted))):
        return rows.filter(Exists(contracts.filter(pk=OuterRef("contract_id"))))
    return rows.filter(contract_id__in=contracts.values("pk"))


def _has(rows: QuerySet[Any]) -> IsNull:
    """Whether a correlated subquery finds a row, for a list's column: `(… LIMIT 1) IS NOT NULL`.

    Not `EXISTS`: for an EXISTS in the select list PostgreSQL may hash the whole subquery's table
    first (every payment's `reverses_id`, 30 ms per page at 575,000 payments) although the page
    needs it for 25 rows; a subquery with a limit is looked up through its index row by row.
    """
    return IsNull(Subquery(rows.values("pk")[:1]), False)


def _contract_conditions(
    *,
    owner_id: int | None = None,
    team_id: int | None = None,
    customer_id: int | None = None,
    contract_id: int | None = None,
) -> Q:
    """A ledger list's filters that are about the contract, as a condition on contracts."""
    condition = Q()
    if owner_id:
        condition &= Q(owner_id=owner_id)
    if team_id:
        condition &= Q(team_id__in=team_subtree_ids(team_id))
    if customer_id:
        condition &= Q(customer_id=customer_id)
    if contract_id:
        condition &= Q(pk=contract_id)
    return condition


def visible_contracts(viewer: Actor) -> QuerySet[Contract]:
    return contracts_visible_to(viewer, Contract.objects.all())


def contract_get(*, viewer: Actor, contract_id: int, for_update: bool = False) -> Contract:
    """One live contract the viewer may see, or NotFound; `for_update` locks its row (the ledger lock)."""
    contracts = Contract.objects.filter(pk=contract_id)
    if for_update:
        contracts = contracts.select_for_update(of=("self",))
    contract = contracts.select_related("customer", "owner").first()
    if contract is None or not contract_may_see(viewer, contract):
        raise NotFound(_("This record does not exist or you may not see it."))
    return contract


def is_finance(actor: Actor) -> bool:
    return sees_all_contracts(actor)


def may_collect(actor: Actor, contract: Contract) -> bool:
    """Who may change a contract's plan, payments and invoices: those who may change the contract, and finance."""
    return contract_may_change(actor, contract) or is_finance(actor)


def settings_get() -> PaymentSettings:
    found = PaymentSettings.objects.filter(pk=1).first()
    return found if found is not None else PaymentSettings(pk=1)


# One contract ----------------------------------------------------------------------------------


def plan_of(*, contract_id: int) -> PaymentPlan | None:
    return PaymentPlan.objects.filter(contract_id=contract_id).first()


def instalments_of(*, contract_id: int) -> list[Instalment]:
    return list(Instalment.objects.filter(contract_id=contract_id).select_related("contract").order_by("number", "id"))


def open_instalments(*, contract_id: int) -> list[OpenInstalment]:
    rows = (
        Instalment.objects.filter(contract_id=contract_id, collected__lt=F("amount"))
        .order_by("due_on", "number", "id")
        .values_list("pk", "number", "due_on", "amount", "collected")
    )
    return [OpenInstalment(id=pk, number=n, due_on=due, outstanding=amount - got) for pk, n, due, amount, got in rows]


def payments_of(*, contract_id: int) -> list[Payment]:
    return list(
        Payment.objects.filter(contract_id=contract_id)
        .annotate(is_reversed=_has(Payment.objects.filter(reverses_id=OuterRef("pk"))))
        .select_related("created_by")
        .order_by("-received_on", "-id")
    )


def allocations_of(*, payment_ids: list[int]) -> dict[int, list[PaymentAllocation]]:
    found: dict[int, list[PaymentAllocation]] = {}
    for allocation in PaymentAllocation.objects.filter(payment_id__in=payment_ids).select_related("instalment"):
        found.setdefault(allocation.payment_id, []).append(allocation)
    return found


def invoices_of(*, contract_id: int) -> list[Invoice]:
    return list(
        Invoice.objects.filter(contract_id=contract_id)
        .annotate(is_voided=_has(Invoice.objects.filter(voids_id=OuterRef("pk"))))
        .order_by("-issued_on", "-id")
    )


def invoiced_total(*, contract_id: int) -> Decimal:
    row = Invoice.objects.filter(contract_id=contract_id).aggregate(cents=CentsSum("amount"))
    return from_cents(row["cents"])


@dataclass(frozen=True)
class ContractTotals:
    contracted: Decimal
    planned: Decimal
    invoiced: Decimal
    collected: Decimal
    outstanding: Decimal
    overdue: Decimal

    @property
    def plan_matches(self) -> bool:
        return self.planned == self.contracted


def contract_totals(*, contract: Contract, today: dt.date | None = None) -> ContractTotals:
    """The contract's figures, each one aggregate query on its own ledger table."""
    day = today or clock.today()
    plan = Instalment.objects.filter(contract_id=contract.pk).aggregate(
        planned=CentsSum("amount"),
        overdue=CentsSum(
            Case(When(due_on__lt=day, then=F("amount") - F("collected")), default=Value(ZERO)),
        ),
    )
    collected = from_cents(Payment.objects.filter(contract_id=contract.pk).aggregate(c=CentsSum("amount"))["c"])
    return ContractTotals(
        contracted=contract.amount,
        planned=from_cents(plan["planned"]),
        invoiced=invoiced_total(contract_id=contract.pk),
        collected=collected,
        outstanding=contract.amount - collected,
        overdue=from_cents(plan["overdue"]),
    )


# Lists -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFilters:
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    method: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    contract_id: int | None = None
    overdue: bool = False  # only payments of contracts with overdue instalments

    def as_params(self) -> dict[str, Any]:
        return {key: str(value) for key, value in self.__dict__.items() if value not in (None, "", False)}


def payment_list(*, viewer: Actor, filters: PaymentFilters) -> QuerySet[Payment]:
    conditions = _contract_conditions(
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        customer_id=filters.customer_id,
        contract_id=filters.contract_id,
    )
    payments = Payment.objects.all()
    if filters.received_from:
        payments = payments.filter(received_on__gte=filters.received_from)
    if filters.received_to:
        payments = payments.filter(received_on__lte=filters.received_to)
    if filters.method in PaymentMethod.values:
        payments = payments.filter(method=filters.method)
    if filters.overdue:
        conditions &= Q(status__in=RECEIVABLE_STATUSES)
        # Open instalments past their due date, read from their partial index alone (no contract join).
        past_due = Instalment.objects.filter(collected__lt=F("amount"), due_on__lt=clock.today())
        if more_than(past_due):
            # A check per payment, walking the payments newest first: with many overdue contracts a page
            # fills at once; gathering them first and sorting all their payments took 0.6 s at a million
            # instalments. With few, gathering is the quick way (the walk would read every payment).
            payments = payments.filter(Exists(past_due.filter(contract_id=OuterRef("contract_id"))))
        else:
            overdue = past_due.filter(contract__status__in=RECEIVABLE_STATUSES)
            payments = payments.filter(contract_id__in=overdue.values("contract_id"))
    payments = _on_contracts(viewer, payments, conditions, few=bool(filters.customer_id or filters.contract_id))
    return payments.select_related("contract", "contract__customer", "contract__owner").annotate(
        is_reversed=_has(Payment.objects.filter(reverses_id=OuterRef("pk")))
    )


def payment_page(*, viewer: Actor, filters: PaymentFilters, cursor: str | None, size: int) -> Page[Payment]:
    return paginate(payment_list(viewer=viewer, filters=filters), sort=PAYMENT_SORT, cursor=cursor, size=size)


def payment_export_rows(*, viewer: Actor, filters: PaymentFilters) -> Iterator[Payment]:
    payments = payment_list(viewer=viewer, filters=filters).order_by("-received_on", "-id")
    yield from payments[:EXPORT_LIMIT].iterator(chunk_size=2000)


def payment_get(*, viewer: Actor, payment_id: int) -> Payment:
    payment = payment_list(viewer=viewer, filters=PaymentFilters()).filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    return payment


@dataclass(frozen=True)
class InstalmentFilters:
    owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    contract_id: int | None = None
    overdue: bool = False
    open_only: bool = False
    due_from: dt.date | None = None
    due_to: dt.date | None = None

    def as_params(self) -> dict[str, Any]:
        return {key: str(value) for key, value in self.__dict__.items() if value not in (None, "", False)}


def instalment_list(*, viewer: Actor, filters: InstalmentFilters) -> QuerySet[Instalment]:
    conditions = _contract_conditions(
        owner_id=filters.owner_id,
        team_id=filters.team_id,
        customer_id=filters.customer_id,
        contract_id=filters.contract_id,
    )
    instalments = Instalment.objects.all()
    if filters.overdue:
        # Only signed contracts owe money: a draft's plan is not overdue yet.
        instalments = instalments.filter(collected__lt=F("amount"), due_on__lt=clock.today())
        conditions &= Q(status__in=RECEIVABLE_STATUSES)
    elif filters.open_only:
        instalments = instalments.filter(collected__lt=F("amount"))
    if filters.due_from:
        instalments = instalments.filter(due_on__gte=filters.due_from)
    if filters.due_to:
        instalments = instalments.filter(due_on__lte=filters.due_to)
    instalments = _on_contracts(viewer, instalments, conditions, few=bool(filters.customer_id or filters.contract_id))
    # The contract's customer and owner come in two small queries of their own: joined here, they
    # make SQLite start from the contracts and sort every instalment instead of walking the due-date
    # index and stopping after a page.
    return instalments.select_related("contract").prefetch_related("contract__customer", "contract__owner")


def instalment_page(*, viewer: Actor, filters: InstalmentFilters, cursor: str | None, size: int) -> Page[Instalment]:
    return paginate(instalment_list(viewer=viewer, filters=filters), sort=INSTALMENT_SORT, cursor=cursor, size=size)


@dataclass(frozen=True)
class InvoiceFilters:
    contract_id: int | None = None
    customer_id: int | None = None
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None


def invoice_list(*, viewer: Actor, filters: InvoiceFilters) -> QuerySet[Invoice]:
    invoices = Invoice.objects.all()
    if filters.issued_from:
        invoices = invoices.filter(issued_on__gte=filters.issued_from)
    if filters.issued_to:
        invoices = invoices.filter(issued_on__lte=filters.issued_to)
    conditions = _contract_conditions(customer_id=filters.customer_id, contract_id=filters.contract_id)
    invoices = _on_contracts(viewer, invoices, conditions, few=bool(filters.customer_id or filters.contract_id))
    return invoices.select_related("contract").annotate(is_voided=_has(Invoice.objects.filter(voids_id=OuterRef("pk"))))


def invoice_page(*, viewer: Actor, filters: InvoiceFilters, cursor: str | None, size: int) -> Page[Invoice]:
    return paginate(invoice_list(viewer=viewer, filters=filters), sort=INVOICE_SORT, cursor=cursor, size=size)


def invoice_get(*, viewer: Actor, invoice_id: int) -> Invoice:
    invoice = invoice_list(viewer=viewer, filters=InvoiceFilters()).filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    return invoice


# Receivables -----------------------------------------------------------------------------------

GROUPS = {
    "owner": "owner_id",
    "team": "team_id",
    "customer": "customer_id",
    "contract": "id",
}


@dataclass(frozen=True)
class ReceivableFilters:
    owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    group_by: str = "owner"

    def as_params(self) -> dict[str, Any]:
        return {key: str(value) for key, value in self.__dict__.items() if value not in (None, "", False)}


@dataclass
class ReceivableRow:
    key: int | None
    label: str = ""
    contracted: Decimal = ZERO
    invoiced: Decimal = ZERO
    collected: Decimal = ZERO
    overdue: Decimal = ZERO
    buckets: dict[str, Decimal] = field(default_factory=lambda: {bucket.key: ZERO for bucket in BUCKETS})

    @property
    def outstanding(self) -> Decimal:
        return self.contracted - self.collected

    @property
    def bucket_values(self) -> list[Decimal]:
        return [self.buckets[bucket.key] for bucket in BUCKETS]


@dataclass
class Receivables:
    group_by: str
    rows: list[ReceivableRow]  # the largest outstanding first, at most REPORT_ROWS of them
    total: ReceivableRow  # over every group, shown or not
    today: dt.date
    omitted: int = 0  # groups beyond REPORT_ROWS


# Grouped by customer or contract, a company has hundreds of thousands of groups; nobody reads past the
# largest few hundred, and naming every group would cost more than the sums themselves.
REPORT_ROWS = 500


def _receivable_contracts(viewer: Actor, filters: ReceivableFilters) -> QuerySet[Contract]:
    contracts = visible_contracts(viewer).filter(status__in=RECEIVABLE_STATUSES)
    return contracts.filter(
        _contract_conditions(owner_id=filters.owner_id, team_id=filters.team_id, customer_id=filters.customer_id)
    )


def receivables(*, viewer: Actor, filters: ReceivableFilters, today: dt.date | None = None) -> Receivables:
    """Contracted, invoiced, collected, outstanding and overdue with ageing buckets, per group.

    Aggregate queries, each grouped in SQL: the contracts with their running totals of collected and
    invoiced money (kept by the services, see services/running_totals), largest outstanding first and no
    more than REPORT_ROWS of them, and the open instalments of those groups. When there are more groups
    (by customer or contract: hundreds of thousands), the totals come from two ungrouped queries rather
    than from every group: turning each into a Python row cost seconds.
    """
    day = today or clock.today()
    group_by = filters.group_by if filters.group_by in GROUPS else "owner"
    column = GROUPS[group_by]
    contracts = _receivable_contracts(viewer, filters)
    # Grouping on `+column` keeps SQLite from walking the contracts in that column's index order and
    # fetching every row; it scans the covering `contract_receivables` index instead (3-5x faster). By
    # contract, the primary key's own order is the fast path.
    group = F("id") if column == "id" else UnaryPlus(column, output_field=BigIntegerField())
    sums = {"contracted": CentsSum("amount"), "invoiced": CentsSum("invoiced"), "collected": CentsSum("collected")}
    if column == "id":
        # Each contract is its own group: its own columns, no grouping.
        largest: QuerySet[Contract, Any] = contracts.order_by().values(
            "invoiced", "collected", group=F("id"), contracted=F("amount")
        )
        read: Callable[[Any], Decimal] = _exact
    else:
        largest = contracts.order_by().annotate(group=group).values("group").annotate(**sums)
        read = from_cents
    ordered = largest.annotate(outstanding=F("contracted") - F("collected")).order_by(
        "-outstanding", F("group").asc(nulls_first=True)
    )
    found: list[dict[str, Any]] = [dict(item) for item in ordered[: REPORT_ROWS + 1]]
    rows: dict[int | None, ReceivableRow] = {
        item["group"]: ReceivableRow(
            key=item["group"],
            contracted=read(item["contracted"]),
            invoiced=read(item["invoiced"]),
            collected=read(item["collected"]),
        )
        for item in found[:REPORT_ROWS]
    }
    narrow = bool(contract_visibility_q(viewer)) or bool(filters.owner_id or filters.team_id or filters.customer_id)
    every_group = len(found) <= REPORT_ROWS
    shown_contracts = contracts if every_group else _of_groups(contracts, column, list(rows))
    for aged in _ageing_rows(shown_contracts, column, day, narrow=narrow or not every_group):
        _set_ageing(rows[aged["grp"]], aged)
    shown = list(rows.values())
    _label(shown, group_by)
    if every_group:
        return Receivables(group_by=group_by, rows=shown, total=_sum_rows(shown), today=day)
    # By contract every contract is a group of its own: counted, not made distinct (a sort of them all).
    groups = Count("*") if column == "id" else Count(Coalesce(group, 0), distinct=True)
    overall = contracts.aggregate(**sums, groups=groups)
    total = ReceivableRow(
        key=None,
        label=_("Total"),
        contracted=from_cents(overall["contracted"]),
        invoiced=from_cents(overall["invoiced"]),
        collected=from_cents(overall["collected"]),
    )
    for aged in _ageing_rows(contracts, None, day, narrow=narrow):
        _set_ageing(total, aged)
    return Receivables(group_by=group_by, rows=shown, total=total, today=day, omitted=overall["groups"] - len(shown))


def _of_groups(contracts: QuerySet[Contract], column: str, keys: list[int | None]) -> QuerySet[Contract]:
    """The contracts of the groups with these keys (None: the contracts without a value in `column`)."""
    of_keys = Q(**{f"{column}__in": [key for key in keys if key is not None]})
    return contracts.filter(of_keys | Q(**{f"{column}__isnull": True}) if None in keys else of_keys)


def _set_ageing(row: ReceivableRow, aged: dict[str, Any]) -> None:
    row.overdue = aged["overdue"]
    row.buckets = {bucket.key: aged[bucket.key] for bucket in BUCKETS}


def _ageing_rows(
    contracts: QuerySet[Contract], column: str | None, day: dt.date, *, narrow: bool
) -> list[dict[str, Any]]:
    """Overdue amounts per group and bucket (one row over all the contracts when `column` is None).

    Each database gets the shape it runs fastest (480,000 open instalments at a million customers):
    SQLite sums the open instalments per contract first in a derived table, so it reads only their
    covering partial index (no table rows, no join per instalment) and the join with the visible
    contracts touches at most one row per contract; when the contracts are `narrow` (a rep's own, one
    team, one customer) the instalments are also limited to them inside, so it starts from those
    contracts instead of every open instalment. PostgreSQL joins the instalments to the contracts
    directly and hashes them: given the derived table, each parallel worker summed every instalment again
    (0.55 s against 0.23 s). Amounts are summed in whole cents on SQLite (see money_sql).
    """
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    # PostgreSQL's numeric sum is exact as it is; SQLite's needs whole cents (see money_sql).
    owed = "(amount - collected)" if sqlite else "(i.amount - i.collected)"
    cents = f"CAST(ROUND({owed} * 100) AS INTEGER)" if sqlite else owed
    read = from_cents if sqlite else _exact
    adapt = connection.ops.adapt_datefield_value
    sums: list[str] = [f"SUM({cents}) AS overdue"]
    bucket_params: list[Any] = []
    for bucket in BUCKETS:
        earliest, latest = due_range(bucket, day)
        window = "due_on <= %s" if earliest is None else "due_on >= %s AND due_on <= %s"
        bucket_params += [adapt(latest)] if earliest is None else [adapt(earliest), adapt(latest)]
        sums.append(f"SUM(CASE WHEN {window} THEN {cents} ELSE 0 END) AS {bucket.key}")
    columns = ["id"] if column is None else list(dict.fromkeys(["id", column]))
    contract_sql, contract_params = contracts.order_by().values(*columns).query.sql_with_params()
    instalments = quote(Instalment._meta.db_table)
    grp, grouped = ("NULL", "") if column is None else (f"c.{quote(column)}", f" GROUP BY c.{quote(column)}")
    # The WHERE repeats the partial index's condition word for word, so SQLite recognises it.
    if sqlite:
        params: list[Any] = [*bucket_params, adapt(day)]
        only_these = ""
        if narrow:
            ids_sql, ids_params = contracts.order_by().values("id").query.sql_with_params()
            only_these = f" AND contract_id IN ({ids_sql})"
            params += list(ids_params)
        outer = ", ".join(
            ["SUM(a.overdue) AS overdue", *(f"SUM(a.{bucket.key}) AS {bucket.key}" for bucket in BUCKETS)]
        )
        sql = (
            f"SELECT {grp} AS grp, {outer} FROM ("  # noqa: S608  (identifiers are ours; values are parameters)
            f"SELECT contract_id, {', '.join(sums)} FROM {instalments} "
            f'WHERE "collected" < ("amount") AND due_on < %s{only_these} GROUP BY contract_id'
            f") a INNER JOIN ({contract_sql}) c ON c.{quote('id')} = a.contract_id{grouped}"
        )
        params += list(contract_params)
    else:
        sql = (
            f"SELECT {grp} AS grp, {', '.join(sums)} FROM {instalments} i "  # noqa: S608  (as above)
            f"INNER JOIN ({contract_sql}) c ON c.{quote('id')} = i.contract_id "
            f"WHERE i.collected < i.amount AND i.due_on < %s{grouped}"
        )
        params = [*bucket_params, *contract_params, adapt(day)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [description[0] for description in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    return [{name: value if name == "grp" else read(value) for name, value in row.items()} for row in rows]


def _exact(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def _sum_rows(rows: list[ReceivableRow]) -> ReceivableRow:
    total = ReceivableRow(key=None, label=_("Total"))
    for item in rows:
        total.contracted += item.contracted
        total.invoiced += item.invoiced
        total.collected += item.collected
        total.overdue += item.overdue
        for key, value in item.buckets.items():
            total.buckets[key] += value
    return total


def _label(rows: list[ReceivableRow], group_by: str) -> None:
    keys = [item.key for item in rows if item.key is not None]
    names: dict[int, str] = {}
    if group_by == "owner":
        names = {user.pk: str(user) for user in User.objects.filter(pk__in=keys)}
    elif group_by == "team":
        names = dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif group_by == "customer":
        names = dict(Customer.all_objects.filter(pk__in=keys).values_list("pk", "name"))
    elif group_by == "contract":
        names = {
            pk: f"{number} {title}"
            for pk, number, title in Contract.all_objects.filter(pk__in=keys).values_list("pk", "number", "title")
        }
    for item in rows:
        item.label = names.get(item.key or 0, _("(none)"))


# The customer page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSummary:
    contracted: Decimal
    collected: Decimal
    outstanding: Decimal
    overdue: Decimal
    contract_count: int
    next_due: list[Instalment]


def customer_summary(*, viewer: Actor, customer_id: int, today: dt.date | None = None) -> CustomerSummary:
    """What the customer's visible, signed contracts are worth, what was paid, what is due next."""
    day = today or clock.today()
    report = receivables(
        viewer=viewer, filters=ReceivableFilters(customer_id=customer_id, group_by="customer"), today=day
    )
    count = visible_contracts(viewer).filter(customer_id=customer_id, status__in=RECEIVABLE_STATUSES).count()
    next_due = list(
        instalment_list(viewer=viewer, filters=InstalmentFilters(customer_id=customer_id, open_only=True))
        .filter(contract__status__in=RECEIVABLE_STATUSES)
        .order_by("due_on", "id")[:5]
    )
    total = report.total
    return CustomerSummary(
        contracted=total.contracted,
        collected=total.collected,
        outstanding=total.outstanding,
        overdue=total.overdue,
        contract_count=count,
        next_due=next_due,
    )


def customer_ledger_events(
    *, viewer: Actor, customer_id: int, limit: int, before: dt.datetime | None = None
) -> tuple[list[Payment], list[Invoice]]:
    """The newest payments (and reversals) and invoices on a customer's live contracts the viewer may
    see, only those recorded before `before` when it is given."""
    older = Q(created_at__lt=before) if before is not None else Q()
    of_customer = Q(customer_id=customer_id)
    payments = _on_contracts(viewer, Payment.objects.filter(older), of_customer, few=True)
    invoices = _on_contracts(viewer, Invoice.objects.filter(older), of_customer, few=True)
    return (
        list(payments.select_related("contract").order_by("-created_at", "-id")[:limit]),
        list(invoices.select_related("contract").order_by("-created_at", "-id")[:limit]),
    )
