# An index for the instalment list's "overdue" and "open" filters in due-date order.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_contract_running_totals"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="instalment",
            index=models.Index(
                condition=models.Q(("collected__lt", models.F("amount"))),
                fields=["due_on", "id"],
                name="instalment_open_due_on",
            ),
        ),
    ]
