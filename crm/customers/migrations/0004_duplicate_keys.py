"""Duplicate-check keys: a name key on customers and contacts, and indexes on every match key."""

from django.conf import settings
from django.db import migrations, models

from crm.core.search import DropSearchIndex, RestoreSearchIndex


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_deleted_indexes_partial"),
        ("identity", "0002_builtin_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # SQLite adds a NOT NULL column by rebuilding the table, which drops the search triggers.
    operations = [
        DropSearchIndex(table="customers_customer"),
        DropSearchIndex(table="customers_contact"),
        migrations.AddField(
            model_name="contact",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="customer",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=200),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["name_key", "id"], name="contact_name_key"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["mobile", "id"], name="contact_mobile"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["phone", "id"], name="contact_phone"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["email", "id"], name="contact_email"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["name_key", "id"], name="customer_name_key"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["credit_code", "id"], name="customer_credit_code"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["phone", "id"], name="customer_phone"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["email", "id"], name="customer_email"),
        ),
        RestoreSearchIndex(table="customers_customer"),
        RestoreSearchIndex(table="customers_contact"),
    ]
