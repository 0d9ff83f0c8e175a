# Indexes for the deal list's "-amount" and "name" sorts across every pipeline (live deals only).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0008_stall_flags_table"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)), fields=["-amount", "-id"], name="deal_amount"
            ),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)), fields=["name", "id"], name="deal_name"
            ),
        ),
    ]
