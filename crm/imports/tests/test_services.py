from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from conftest import Org
from crm.audit.models import AuditEntry
from crm.core.errors import Conflict, ValidationFailed
from crm.core.search import search_filter
from crm.customers import services as customer_services
from crm.customers.models import Contact, Customer
from crm.customers.services import customer_update
from crm.customers.tests.factories import a_contact, a_customer
from crm.imports import services
from crm.imports.models import JobStatus
from crm.imports.rejected_file import rejected_csv
from crm.imports.tests.files import csv_bytes
from crm.imports.tests.running import run_import
from crm.leads.models import Lead
from crm.leads.services import lead_update
from crm.leads.tests.factories import a_lead

LEAD_HEADERS = ["姓名", "公司名称", "手机", "邮箱", "外部编号"]
LEADS = [
    LEAD_HEADERS,
    ["王建国", "杭州云栖智能制造有限公司", "13912345678", "wang.jianguo@yunqi.cn", "OLD-1"],
    ["Alice Chen", "Shanghai Bund Trading Co., Ltd.", "13612345678", "Alice.Chen@Bund.com ", "OLD-2"],
]


def test_leads_are_created_from_the_import_channel_with_the_raw_row(org: Org) -> None:
    # when a rep imports two leads
    job = run_import(org.rep_a1, "leads", LEADS)

    # then both exist, owned by the rep, from the import channel, with the original row kept
    assert (job.status, job.created_count, job.rejected_count) == (JobStatus.DONE, 2, 0)
    lead = Lead.objects.get(external_id="OLD-2")
    assert (lead.owner_id, lead.team_id, lead.channel) == (org.rep_a1.pk, org.east_a.pk, "import")
    assert lead.email == "alice.chen@bund.com"
    assert lead.mobile == "+8613612345678"
    assert lead.raw_submission == dict(zip(LEAD_HEADERS, [cell.strip() for cell in LEADS[2]], strict=True))
    assert "alice chen" in lead.search_text
    assert sorted(job.created_ids) == sorted(Lead.objects.values_list("pk", flat=True))
    # and each lead has its own audit entry through the import channel
    entries = AuditEntry.objects.filter(target_type="leads.lead", verb="create")
    assert entries.count() == 2
    assert {entry.source for entry in entries} == {"import"}
    assert entries.get(target_id=lead.pk).changes["name"] == [None, "Alice Chen"]


def test_rows_with_bad_phones_and_dates_are_rejected_with_the_field_and_reason(org: Org) -> None:
    # given contacts with a bad mobile on row 3 and a bad birthday on row 4
    rows = [
        ["name", "mobile", "birthday"],
        ["张伟", "13812345678", "1988-02-29"],
        ["李娜", "12345", "1990-01-01"],
        ["王芳", "13712345678", "1990/13/45"],
    ]

    # when imported (English messages)
    with pytest.MonkeyPatch.context():
        from django.utils import translation

        with translation.override("en"):
            job = run_import(org.rep_a1, "contacts", rows, mode="create")

    # then only the good row is written and each rejection names its field
    assert (job.created_count, job.rejected_count) == (1, 2)
    assert [(item["row"], item["reason"]) for item in job.rejected] == [
        (3, "Mobile: “12345” is not a valid phone number."),
        (4, "Birthday: Enter a date as YYYY-MM-DD."),
    ]
    assert Contact.objects.get().birthday == dt.date(1988, 2, 29)


def test_formula_cells_are_stored_as_text_and_written_back_safely(org: Org) -> None:
    # given a customer name that is a spreadsheet formula, and a row that will be rejected
    rows = [
        ["名称", "电话", "备注"],
        ['=HYPERLINK("http://evil.example","点我")', "021-62345678", "+1 同事推荐"],
        ["@SUM(A1)", "not a phone", "-2"],
    ]

    # when imported
    job = run_import(org.rep_a1, "customers", rows, mode="create")

    # then the formula is kept as plain text in the record
    customer = Customer.objects.get()
    assert customer.name == '=HYPERLINK("http://evil.example","点我")'
    assert customer.notes == "+1 同事推荐"
    # and the rejected-rows file quotes every formula-leading cell
    lines = rejected_csv(job).decode("utf-8-sig").splitlines()
    assert lines[1].startswith("3,")
    assert lines[1].endswith(",'@SUM(A1),not a phone,'-2")


def test_re_running_the_same_file_creates_no_duplicates(org: Org) -> None:
    # given a file imported once
    run_import(org.rep_a1, "leads", LEADS)

    # when the same file is imported again
    again = run_import(org.rep_a1, "leads", LEADS)

    # then nothing new is created and nothing changes
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert Lead.objects.count() == 2


def test_create_mode_rejects_rows_that_match_an_existing_record(org: Org) -> None:
    # given one of the leads exists already
    a_lead(org.rep_a1, name="王建国", external_id="OLD-1")

    # when the file is imported in create mode
    job = run_import(org.rep_a1, "leads", LEADS, mode="create")

    # then that row is rejected as a duplicate with the reason, the other created
    assert (job.created_count, job.rejected_count) == (1, 1)
    assert job.rejected[0]["row"] == 2
    assert "Already exists" in job.rejected[0]["reason"] or "已存在" in job.rejected[0]["reason"]


def test_update_mode_on_phone_changes_matched_records_and_rejects_the_rest(org: Org) -> None:
    # given a lead whose phone matches row 2
    lead = a_lead(org.rep_a1, name="王建国", mobile="139 1234 5678", title="采购经理")
    rows = [["mobile", "title", "name"], ["+86 139-1234-5678", "采购总监", ""], ["13000000001", "CEO", "无名"]]

    # when imported in update mode matching on phone
    job = run_import(org.rep_a1, "leads", rows, mode="update", match="phone")

    # then the lead's title changes, its empty name cell leaves the name alone, row 3 is rejected
    lead.refresh_from_db()
    assert (lead.title, lead.name, lead.version) == ("采购总监", "王建国", 2)
    assert (job.updated_count, job.created_count, job.rejected_count) == (1, 0, 1)
    assert job.previous_values == {str(lead.pk): {"version": 2, "values": {"title": "采购经理"}}}
    entry = AuditEntry.objects.filter(target_type="leads.lead", target_id=lead.pk, verb="update").get()
    assert entry.changes == {"title": ["采购经理", "采购总监"]}


def test_upsert_on_email_ignores_case_and_spaces(org: Org) -> None:
    contact = a_contact(org.rep_a1, name="陈晓明", email="chen.xm@huaxin.cn")
    rows = [["name", "email", "title"], ["陈晓明", "  Chen.XM@HuaXin.cn ", "技术总监"], ["赵磊", "zhao@huaxin.cn", ""]]

    job = run_import(org.rep_a1, "contacts", rows, match="email")

    contact.refresh_from_db()
    assert contact.title == "技术总监"
    assert (job.updated_count, job.created_count) == (1, 1)


def test_customers_match_on_the_normalised_company_name(org: Org) -> None:
    # given 北京字节跳动科技有限公司 exists
    customer = a_customer(org.rep_a1, name="北京字节跳动科技有限公司", grade="B")

    # when a file names it 字节跳动（北京）科技有限公司 and matches on name
    job = run_import(org.rep_a1, "customers", [["名称", "级别"], ["字节跳动（北京）科技有限公司", "A"]], match="name")

    # then the existing customer is updated, not duplicated
    customer.refresh_from_db()
    assert (job.updated_count, job.created_count, customer.grade) == (1, 0, "A")


def test_a_contacts_customer_column_resolves_by_name_or_external_id(org: Org) -> None:
    huaxin = a_customer(org.rep_a1, name="上海华信科技有限公司")
    yunqi = a_customer(org.rep_a1, name="杭州云栖智能制造有限公司", external_id="C-9")
    rows = [
        ["name", "customer", "mobile"],
        ["张伟", "上海华信科技有限公司", "13812345678"],
        ["李娜", "C-9", "13812345679"],
        ["王芳", "不存在的公司", "13812345670"],
    ]

    job = run_import(org.rep_a1, "contacts", rows, mode="create")

    assert dict(Contact.objects.values_list("name", "customer_id")) == {"张伟": huaxin.pk, "李娜": yunqi.pk}
    assert job.rejected[0]["row"] == 4


def test_owner_column_resolves_by_username_or_full_name(org: Org) -> None:
    rows = [["name", "owner", "external_id"], ["甲", "rep_a2", "A"], ["乙", "李娜", "B"], ["丙", "nobody", "C"]]

    job = run_import(org.east_a_manager, "leads", rows)

    assert set(Lead.objects.values_list("owner_id", flat=True)) == {org.rep_a2.pk}
    assert [item["row"] for item in job.rejected] == [4]


def test_a_rep_cannot_import_records_for_another_teams_rep(org: Org) -> None:
    # when rep_a1 names rep_b1 (another team) as owner
    job = run_import(org.rep_a1, "leads", [["name", "owner"], ["甲", "rep_b1"], ["乙", ""]], mode="create")

    # then that row is refused and the row without an owner becomes the rep's own
    assert [item["row"] for item in job.rejected] == [2]
    assert list(Lead.objects.values_list("owner_id", flat=True)) == [org.rep_a1.pk]


def test_a_rep_cannot_update_another_teams_records_by_import(org: Org) -> None:
    other = a_lead(org.rep_b1, name="王建国", external_id="OLD-1", title="采购经理")

    job = run_import(org.rep_a1, "leads", [["name", "title", "external_id"], ["王建国", "CEO", "OLD-1"]])

    other.refresh_from_db()
    assert (other.title, job.rejected_count, job.created_count) == ("采购经理", 1, 0)


def test_the_same_key_twice_in_one_file_is_rejected_the_second_time(org: Org) -> None:
    rows = [["name", "external_id"], ["甲", "X-1"], ["乙", "X-1"]]

    job = run_import(org.rep_a1, "leads", rows)

    assert (job.created_count, [item["row"] for item in job.rejected]) == (1, [3])


def test_a_dry_run_writes_nothing(org: Org) -> None:
    job = run_import(org.rep_a1, "leads", LEADS, dry_run=True)

    assert (job.status, job.created_count, Lead.objects.count()) == (JobStatus.DONE, 2, 0)


def test_likely_duplicates_are_reported_as_warnings(org: Org) -> None:
    a_customer(org.rep_b1, name="杭州云栖智能制造有限公司")

    job = run_import(org.rep_a1, "leads", LEADS)

    assert job.warning_count == 1
    assert job.warnings[0]["row"] == 2
    assert "王芳" in job.warnings[0]["message"]  # owned by someone the rep may not see: the owner only


def test_the_block_policy_rejects_likely_duplicates_and_allow_skips_the_check(org: Org) -> None:
    from crm.customers.models import DuplicateMode, DuplicatePolicy

    a_customer(org.rep_b1, name="杭州云栖智能制造有限公司")
    # given the administrators block duplicate leads
    DuplicatePolicy.objects.update_or_create(object_type="leads", defaults={"mode": DuplicateMode.BLOCK})
    # when the rep imports the file
    blocked = run_import(org.rep_a1, "leads", LEADS)
    # then the matching row is rejected with the reason, and only the other rows are created
    assert [(row["row"], "王芳" in row["reason"]) for row in blocked.rejected] == [(2, True)]
    assert blocked.warning_count == 0
    assert not Lead.objects.filter(company_name="杭州云栖智能制造有限公司").exists()
    # and with "allow" the same row goes in without a warning
    DuplicatePolicy.objects.filter(object_type="leads").update(mode=DuplicateMode.ALLOW)
    allowed = run_import(org.rep_a1, "leads", LEADS)
    assert (allowed.warning_count, allowed.rejected_count) == (0, 0)
    assert Lead.objects.filter(company_name="杭州云栖智能制造有限公司").count() == 1


def test_a_failure_in_a_later_batch_leaves_nothing_written(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    # given batches of two rows and an audit write that fails on the second batch
    monkeypatch.setattr(customer_services, "BULK_BATCH", 2)
    calls = {"count": 0}
    real = customer_services.audit_each

    def failing(*args: object, **kwargs: object) -> None:
        calls["count"] += 1
        if calls["count"] == 2:
            raise RuntimeError("disk full")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(customer_services, "audit_each", failing)
    rows = [["name", "external_id"], *[[f"客户{n}", f"K-{n}"] for n in range(5)]]

    # when the import runs
    job = run_import(org.rep_a1, "customers", rows)

    # then it failed with a message and not one customer or audit entry was written
    assert job.status == JobStatus.FAILED
    assert job.error
    assert Customer.all_objects.count() == 0
    assert AuditEntry.objects.filter(target_type="customers.customer").count() == 0


def test_revert_bins_created_records_and_restores_updated_fields(org: Org) -> None:
    # given an import that created one lead and updated another
    existing = a_lead(org.rep_a1, name="王建国", external_id="OLD-1", title="采购经理")
    job = run_import(
        org.rep_a1, "leads", [["name", "title", "external_id"], ["王建国", "CEO", "OLD-1"], ["新人", "", "NEW-1"]]
    )

    # when it is reverted
    services.import_job_revert(actor=services.import_actor(org.rep_a1), job_id=job.pk)

    # then the new lead is in the recycle bin and the old one has its old title again, audited
    existing.refresh_from_db()
    assert existing.title == "采购经理"
    assert Lead.all_objects.get(external_id="NEW-1").deleted_at is not None
    job.refresh_from_db()
    assert job.status == JobStatus.REVERTED
    assert AuditEntry.objects.filter(target_type="leads.lead", verb="delete").count() == 1
    assert AuditEntry.objects.filter(target_type="leads.lead", target_id=existing.pk, verb="update").count() == 2


def test_revert_is_refused_when_an_imported_record_changed_since(org: Org) -> None:
    # given an imported lead that a rep edited afterwards
    job = run_import(org.rep_a1, "leads", LEADS)
    lead = Lead.objects.get(external_id="OLD-1")
    lead_update(actor=org.actor(org.rep_a1), lead_id=lead.pk, version=lead.version, values={"title": "总经理"})

    # when the import is reverted / then it is refused and nothing changes
    with pytest.raises(Conflict):
        services.import_job_revert(actor=services.import_actor(org.rep_a1), job_id=job.pk)
    assert Lead.objects.count() == 2


def test_revert_is_refused_for_an_updated_customer_changed_since(org: Org) -> None:
    customer = a_customer(org.rep_a1, name="上海华信科技有限公司", external_id="C-1", grade="B")
    job = run_import(org.rep_a1, "customers", [["名称", "级别", "外部编号"], ["上海华信科技有限公司", "A", "C-1"]])
    customer.refresh_from_db()
    customer_update(
        actor=org.actor(org.rep_a1), customer_id=customer.pk, version=customer.version, values={"grade": "C"}
    )

    with pytest.raises(Conflict):
        services.import_job_revert(actor=services.import_actor(org.rep_a1), job_id=job.pk)


def test_an_unmapped_name_column_is_refused_before_the_run(org: Org) -> None:
    actor = services.import_actor(org.rep_a1)
    job = services.import_job_create(
        actor=actor, object_type="leads", file_name="x.csv", data="手机\n13812345678\n".encode(), mode="create"
    )

    with pytest.raises(ValidationFailed) as caught:
        services.import_job_queue(actor=actor, job_id=job.pk)
    assert caught.value.errors[0].field == "mapping"


def test_another_users_import_is_not_found(org: Org) -> None:
    job = run_import(org.rep_a1, "leads", LEADS)

    with pytest.raises(Exception, match="not yours"):
        services.import_job_revert(actor=services.import_actor(org.rep_a2), job_id=job.pk)


def test_preview_shows_row_verdicts_and_errors(org: Org) -> None:
    actor = services.import_actor(org.rep_a1)
    data = "姓名,手机\n张伟,13812345678\n李娜,12345\n".encode()
    job = services.import_job_create(actor=actor, object_type="leads", file_name="x.csv", data=data, mode="create")

    preview = services.import_job_preview(actor=actor, job_id=job.pk)

    assert [(row.number, row.action) for row in preview] == [(2, "create"), (3, "reject")]
    assert "12345" in preview[1].message


def test_a_big_import_is_still_found_by_search(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    # given imports count as big from one row, so the search index is rebuilt once at the end
    monkeypatch.setattr(services, "DEFER_SEARCH_INDEX_FROM", 1)

    # when leads are imported
    run_import(org.rep_a1, "leads", LEADS)

    # then search finds them by pinyin, and a lead created afterwards is indexed as usual
    assert list(search_filter(Lead.objects.all(), "yunqi").values_list("external_id", flat=True)) == ["OLD-1"]
    a_lead(org.rep_a1, name="赵磊", company_name="南京紫金云数据有限公司", mobile="13800138000", email="")
    assert search_filter(Lead.objects.all(), "zijinyun").count() == 1


def _index_hits(term: str) -> list[int]:
    """Ids of the leads whose entry in SQLite's trigram index holds `term`, once per occurrence."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.lead_terms USING fts5vocab(main, leads_lead_fts, instance)"
        )
        cursor.execute("SELECT doc FROM temp.lead_terms WHERE term = %s ORDER BY doc", [term])
        return [int(row[0]) for row in cursor.fetchall()]


def test_a_big_import_indexes_its_new_rows_once_and_leaves_the_others_as_they_were(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a lead that is in the search index already, and imports that count as big from one row
    before = a_lead(org.rep_a1, name="赵磊", company_name="南京紫金云数据有限公司", mobile="13800138000", email="")
    monkeypatch.setattr(services, "DEFER_SEARCH_INDEX_FROM", 1)

    # when leads are imported
    run_import(org.rep_a1, "leads", LEADS)

    # then the new leads and the old one are all found
    found = search_filter(Lead.objects.all(), "yunqi").values_list("external_id", flat=True)
    assert list(found) == ["OLD-1"]
    assert list(search_filter(Lead.objects.all(), "zijinyun").values_list("pk", flat=True)) == [before.pk]
    if connection.vendor == "sqlite":
        # and each lead is in SQLite's index exactly once: the old one was not indexed again
        imported = Lead.objects.get(external_id="OLD-1").pk
        assert _index_hits("紫金云") == [before.pk]
        assert _index_hits("云栖智") == [imported]


def test_progress_is_stored_at_most_once_per_interval(org: Org) -> None:
    # given an uploaded file
    actor = services.import_actor(org.rep_a1)
    job = services.import_job_create(actor=actor, object_type="leads", file_name="x.csv", data=csv_bytes(LEADS))

    # when rows are reported checked sooner than the interval, and then with no interval
    services._set_progress(job.pk, every=3600)(2)
    job.refresh_from_db()
    held_back = job.processed_rows
    services._set_progress(job.pk, every=0)(2)
    job.refresh_from_db()

    # then only the report after the interval was stored
    assert (held_back, job.processed_rows) == (0, 2)
