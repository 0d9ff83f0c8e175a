from __future__ import annotations

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.audit.services import audit_record_each
from crm.core.actors import Actor, Source


def test_audit_record_each_writes_one_entry_per_record_with_its_own_changes(org: Org) -> None:
    # given an importer and the changes of two new records, one with a long name
    actor = Actor(user=org.rep_a1, source=Source.IMPORT)
    rows = [
        (
            11,
            "杭州云栖智能制造有限公司",
            1,
            {"name": [None, "杭州云栖智能制造有限公司"], "annual_revenue": [None, "120.00"]},
        ),
        (12, "长" * 250, None, {}),
    ]

    # when they are audited in bulk
    written = audit_record_each(actor=actor, verb=Verb.CREATE, target_type="leads.lead", rows=rows)

    # then each record has its entry: who, through which channel, what, and the changes as JSON
    entries = list(AuditEntry.objects.order_by("target_id"))
    assert written == 2
    assert [
        (e.actor_id, e.actor_name, e.source, e.verb, e.target_type, e.target_id, e.target_version) for e in entries
    ] == [
        (org.rep_a1.pk, str(org.rep_a1), "import", "create", "leads.lead", 11, 1),
        (org.rep_a1.pk, str(org.rep_a1), "import", "create", "leads.lead", 12, None),
    ]
    assert entries[0].changes == {"name": [None, "杭州云栖智能制造有限公司"], "annual_revenue": [None, "120.00"]}
    assert entries[1].changes == {}
    assert (entries[0].target_repr, entries[1].target_repr) == ("杭州云栖智能制造有限公司", "长" * 200)
    # and they share one time, the moment of the bulk write
    assert entries[0].created_at == entries[1].created_at
    assert entries[0].ip_address is None


def test_audit_record_each_writes_nothing_for_no_records(org: Org) -> None:
    # when nothing is audited / then no entry exists
    assert audit_record_each(actor=org.actor(org.rep_a1), verb=Verb.CREATE, target_type="leads.lead", rows=[]) == 0
    assert not AuditEntry.objects.exists()
