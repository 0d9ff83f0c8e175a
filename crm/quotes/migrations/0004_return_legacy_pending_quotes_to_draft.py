"""Quotes waiting for approval under the former built-in mechanism have no approval in the engine, so
nobody could decide them: they go back to draft (audited), and their submitter submits them again."""

from django.db import migrations
from django.db.models import F
from django.utils import timezone

ACTOR = "migration:quote_approval_engine"


def to_draft(apps, schema_editor):  # type: ignore[no-untyped-def]
    Quote = apps.get_model("quotes", "Quote")
    ApprovalRequest = apps.get_model("approvals", "ApprovalRequest")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    in_engine = ApprovalRequest.objects.filter(kind="quote", status="pending").values("target_id")
    stranded = list(Quote.objects.filter(status="pending_approval").exclude(pk__in=in_engine))
    now = timezone.now()
    for quote in stranded:
        Quote.objects.filter(pk=quote.pk).update(status="draft", version=F("version") + 1, updated_at=now)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                created_at=now,
                actor_name=ACTOR,
                source="system",
                verb="update",
                target_type="quotes.quote",
                target_id=quote.pk,
                target_repr=f"{quote.number} v{quote.revision}"[:200],
                target_version=quote.version + 1,
                changes={"status": ["pending_approval", "draft"]},
            )
            for quote in stranded
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_approval_flows_and_requests"),
        ("audit", "0001_initial"),
        ("quotes", "0003_default_quote_approval_flow"),
    ]

    # Nothing to undo: the former mechanism would take a draft quote back the same way.
    operations = [migrations.RunPython(to_draft, migrations.RunPython.noop)]
