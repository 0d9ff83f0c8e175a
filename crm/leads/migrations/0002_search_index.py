"""Substring search index on leads (FTS5 trigram / pg_trgm)."""

from django.db import migrations

from crm.core.search import CreateSearchIndex


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [
        CreateSearchIndex(table="leads_lead"),
    ]
