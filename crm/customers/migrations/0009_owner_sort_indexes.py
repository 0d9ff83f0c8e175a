# Indexes for a rep's own customers and contacts in the lists' "name" and "-updated_at" sorts.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_neglect_flags_table"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "name", "id"], name="customer_owner_name"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "-updated_at", "-id"], name="customer_owner_updated"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["owner", "name", "id"], name="contact_owner_name"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["owner", "-updated_at", "-id"], name="contact_owner_updated"),
        ),
    ]
