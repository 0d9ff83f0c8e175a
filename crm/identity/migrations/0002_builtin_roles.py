"""The built-in roles with sensible defaults; administrators adjust them afterwards."""

from typing import Any

from django.db import migrations

# Copied here on purpose: a migration must not depend on code that may change later.
ROLES = [
    # code, name, visibility, masks, export, manage_org, audit, edit_visible
    ("administrator", "管理员", "all", False, True, True, True, True),
    ("sales_director", "销售总监", "all", False, True, False, True, True),
    ("sales_manager", "销售经理", "subtree", False, True, False, False, False),
    ("sales_rep", "销售代表", "own", True, False, False, False, False),
    ("product_expert", "产品专家", "team", True, False, False, False, False),
    ("after_sales", "售后专员", "team", False, False, False, False, False),
    ("finance", "财务", "all", True, True, False, False, False),
]


def create_roles(apps: Any, schema_editor: Any) -> None:
    role_model = apps.get_model("identity", "Role")
    for code, name, visibility, masks, export, manage, audit, edit in ROLES:
        role_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "visibility": visibility,
                "masks_contact_info": masks,
                "can_export": export,
                "can_manage_org": manage,
                "can_view_audit": audit,
                "can_edit_visible": edit,
            },
        )


def remove_roles(apps: Any, schema_editor: Any) -> None:
    role_model = apps.get_model("identity", "Role")
    role_model.objects.filter(code__in=[row[0] for row in ROLES], users__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("identity", "0001_initial")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
