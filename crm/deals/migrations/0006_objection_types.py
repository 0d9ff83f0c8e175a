"""Seed the common objection types; administrators rename or add to them."""

from typing import Any

from django.db import migrations

TYPES = ["价格太高", "预算不足", "需要内部评估", "已有供应商", "功能不满足", "时机不对", "决策人未参与"]


def seed(apps: Any, schema_editor: Any) -> None:
    ObjectionType = apps.get_model("deals", "ObjectionType")
    if ObjectionType.objects.exists():
        return
    ObjectionType.objects.bulk_create([ObjectionType(name=name, position=i) for i, name in enumerate(TYPES)])


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("deals", "Objection").objects.all().delete()
    apps.get_model("deals", "ObjectionType").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0005_objections")]

    operations = [migrations.RunPython(seed, unseed)]
