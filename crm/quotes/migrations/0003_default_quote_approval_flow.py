"""The default approval flow of quotes: today's rule, a discount above the submitter's role limit waits for
the submitter's manager. Administrators change it later on the approval flow screen."""

from django.db import migrations

KIND = "quote"
FLOW_NAME = "报价折扣审批"
STEP_NAME = "直属经理审批（折扣超出权限）"
ABOVE_LIMIT = [{"fact": "above_limit", "op": "eq", "value": "true"}]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    ApprovalFlow = apps.get_model("approvals", "ApprovalFlow")
    ApprovalStep = apps.get_model("approvals", "ApprovalStep")
    if ApprovalFlow.objects.filter(kind=KIND).exists():
        return
    flow = ApprovalFlow.objects.create(kind=KIND, name=FLOW_NAME, is_active=True)
    ApprovalStep.objects.create(
        flow=flow, position=1, name=STEP_NAME, approver_kind="manager", levels=1, conditions=ABOVE_LIMIT
    )


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Only the flow as seeded: one an administrator has edited since (a higher version) stays.
    ApprovalFlow = apps.get_model("approvals", "ApprovalFlow")
    ApprovalFlow.objects.filter(kind=KIND, name=FLOW_NAME, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_approval_flows_and_requests"),
        ("quotes", "0002_default_discount_limits"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
