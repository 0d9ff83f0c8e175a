# Indexes for a rep's own leads in the list's "name" and "-updated_at" sorts.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0006_lead_follow_ups"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["owner", "name", "id"], name="lead_owner_name"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["owner", "-updated_at", "-id"], name="lead_owner_updated"),
        ),
    ]
