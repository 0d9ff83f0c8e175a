from django.db import migrations

from crm.core.search import CreateSearchIndex


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_pipelines_and_deals")]

    operations = [CreateSearchIndex(table="deals_deal")]
