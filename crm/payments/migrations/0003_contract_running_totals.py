# Fills the contracts' new running totals (contracts 0003) from the payments and invoices already recorded.

from django.db import migrations

SQLITE_TOTAL = "COALESCE(SUM(CAST(ROUND(amount * 100) AS INTEGER)), 0) / 100.0"
POSTGRES_TOTAL = "COALESCE(SUM(amount), 0)"


def fill(apps, schema_editor):
    total = SQLITE_TOTAL if schema_editor.connection.vendor == "sqlite" else POSTGRES_TOTAL
    schema_editor.execute(
        "UPDATE contracts_contract SET "  # noqa: S608  (the totals are constants above)
        f"collected = (SELECT {total} FROM payments_payment p WHERE p.contract_id = contracts_contract.id), "
        f"invoiced = (SELECT {total} FROM payments_invoice i WHERE i.contract_id = contracts_contract.id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_ledger"),
        ("contracts", "0003_running_totals_receivables_index"),
    ]

    # Going back, contracts 0003 drops the columns; nothing to undo here.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
