"""Substring search indexes on customers and contacts (FTS5 trigram / pg_trgm)."""

from django.db import migrations

from crm.core.search import CreateSearchIndex


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        CreateSearchIndex(table="customers_customer"),
        CreateSearchIndex(table="customers_contact"),
    ]
