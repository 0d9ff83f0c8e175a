# The channel quality report's covering index.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_key_indexes_skip_blanks"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=[
                    "created_at",
                    "channel",
                    "campaign",
                    "status",
                    "first_contacted_at",
                    "converted_at",
                    "owner",
                    "team",
                    "id",
                    "deleted_at",
                ],
                name="lead_channel_quality",
            ),
        ),
    ]
