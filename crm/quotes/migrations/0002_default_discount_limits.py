"""Starting discount limits for the built-in sales roles; administrators change them later."""

from decimal import Decimal

from django.db import migrations

# role code → (largest line discount %, largest overall discount %)
DEFAULTS = {
    "sales_rep": (Decimal(10), Decimal(5)),
    "sales_manager": (Decimal(20), Decimal(15)),
    "sales_director": (Decimal(30), Decimal(25)),
    "administrator": (Decimal(100), Decimal(100)),
}


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    Role = apps.get_model("identity", "Role")
    DiscountLimit = apps.get_model("quotes", "DiscountLimit")
    for role in Role.objects.filter(code__in=DEFAULTS):
        line, overall = DEFAULTS[role.code]
        DiscountLimit.objects.get_or_create(
            role=role, defaults={"max_line_discount": line, "max_quote_discount": overall}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0002_builtin_roles"),
        ("quotes", "0001_catalogue_and_quotes"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
