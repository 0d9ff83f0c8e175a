"""The contracts' running totals of collected and invoiced money, kept equal to the ledger.

The services add each entry's amount under the contract's row lock as they write it (see
`add_to_running_totals`). `running_totals_refresh` recomputes them from the ledger in one set-based
statement, for rows written in bulk around the services (demo and benchmark seeding).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from crm.contracts.models import Contract
from crm.payments.models import Invoice, Payment


def add_to_running_totals(
    contract: Contract, *, collected: Decimal = Decimal(0), invoiced: Decimal = Decimal(0)
) -> None:
    """Add to the locked contract's totals; the new values are computed in Decimal, not in SQL,
    because SQLite would add binary floats."""
    contract.collected += collected
    contract.invoiced += invoiced
    Contract.objects.filter(pk=contract.pk).update(collected=contract.collected, invoiced=contract.invoiced)


def running_totals_refresh() -> int:
    """Recompute every contract's totals from its payments and invoices; returns the contracts updated."""
    quote = connection.ops.quote_name
    if connection.vendor == "sqlite":
        # Whole cents summed as integers, so the total is exact (see money_sql).
        total = "COALESCE(SUM(CAST(ROUND(amount * 100) AS INTEGER)), 0) / 100.0"
    else:
        total = "COALESCE(SUM(amount), 0)"
    contracts = quote(Contract._meta.db_table)
    sql = (
        f"UPDATE {contracts} SET "  # noqa: S608  (table names are ours)
        f"{quote('collected')} = (SELECT {total} FROM {quote(Payment._meta.db_table)} p "
        f"WHERE p.contract_id = {contracts}.id), "
        f"{quote('invoiced')} = (SELECT {total} FROM {quote(Invoice._meta.db_table)} i "
        f"WHERE i.contract_id = {contracts}.id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.rowcount)
