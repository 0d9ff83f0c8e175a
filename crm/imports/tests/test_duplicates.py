"""Imports apply the scored duplicate check of the forms, in bulk, and tell the owners once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Org
from crm.customers.models import Contact, Customer, DuplicateMode, DuplicatePolicy
from crm.customers.tests.factories import a_contact, a_customer
from crm.imports import services
from crm.imports.checking import Checked, warn_duplicates
from crm.imports.tests.files import csv_bytes
from crm.imports.tests.running import run_import
from crm.notifications.models import Notification, NotificationKind

CREDIT_CODE = "91350100M000100Y43"


def _collisions(user_id: int) -> list[Notification]:
    return list(Notification.objects.filter(recipient_id=user_id, kind=NotificationKind.DUPLICATE_COLLISION))


def test_a_customer_with_a_known_credit_code_is_flagged_with_score_and_reason(org: Org) -> None:
    # given a customer of the importer's own with a credit code, under another name
    existing = a_customer(org.rep_a1, name="闽信科技有限公司", credit_code=CREDIT_CODE)

    # when a file with the same credit code and a new name is imported
    job = run_import(
        org.rep_a1, "customers", [["name", "credit_code"], ["海峡数据服务有限公司", CREDIT_CODE]], mode="create"
    )

    # then the row is created with a warning naming the customer, the score and why
    assert (job.created_count, job.warning_count) == (1, 1)
    assert job.warnings[0] == {
        "row": 2,
        "message": f"Looks like customer “{existing.name}” (score 100: same credit code {CREDIT_CODE}).",
    }


def test_contacts_match_on_swapped_name_order_and_a_shared_address(org: Org) -> None:
    # given a contact "Zhang Wei" at an address
    a_contact(org.rep_a1, name="Zhang Wei", mobile="", email="", address="上海市浦东新区世纪大道100号")

    # when "Wei ZHANG" at the same address (spelt with full-width digits) is imported
    job = run_import(
        org.rep_a1, "contacts", [["name", "address"], ["Wei ZHANG", "上海市浦东新区世纪大道１００号"]], mode="create"
    )

    # then the row is flagged, scored on the name and the address
    assert job.warning_count == 1
    assert job.warnings[0]["message"] == (
        "Looks like contact “Zhang Wei” (score 50: same name Wei ZHANG; same address)."
    )


def test_a_lead_with_a_chinese_name_typo_and_the_same_email_is_flagged(org: Org) -> None:
    # given a contact 张伟 with an email
    a_contact(org.rep_a1, name="张伟", mobile="", email="zhang.wei@example.cn")

    # when a lead 张玮 (same pinyin) with that email in upper case is imported
    job = run_import(org.rep_a1, "leads", [["name", "email"], ["张玮", "ZHANG.WEI@example.cn"]], mode="create")

    # then the row is flagged with both reasons
    assert job.warnings[0]["message"] == (
        "Looks like contact “张伟” (score 80: same email zhang.wei@example.cn; name typo 张玮/张伟)."
    )


def test_owners_of_matched_records_get_one_notice_per_import(org: Org) -> None:
    # given two customers of rep_b1 and one of rep_n1, all matched by the file, and one of the importer's
    a_customer(org.rep_b1, name="杭州云栖智能制造有限公司")
    a_customer(org.rep_b1, name="Shanghai Bund Trading Co., Ltd.")
    a_customer(org.rep_n1, name="北京字节跳动科技有限公司")
    a_customer(org.rep_a1, name="苏州工业园区星辰电子有限公司")
    rows = [
        ["name"],
        ["云栖智能制造(杭州)有限公司"],
        ["杭州云栖智能制造"],
        ["Shanghai Bund Trading Ltd"],
        ["字节跳动(北京)科技有限公司"],
        ["苏州工业园区星辰电子有限公司"],
    ]

    # when rep_a1 imports the file
    job = run_import(org.rep_a1, "customers", rows, mode="create")

    # then every row went in with a warning (the policy is "warn")
    assert (job.created_count, job.warning_count) == (5, 5)
    # and rep_b1 has one notice (in the default language) for three rows matching two records,
    # with a link to one of them
    (notice,) = _collisions(org.rep_b1.pk)
    assert notice.title == "张伟 导入了 3 行，与你的记录相似（2 条）"
    assert notice.body == "文件：import.csv。相似记录：杭州云栖智能制造有限公司、Shanghai Bund Trading Co., Ltd."
    assert notice.url == f"/customers/{notice.target_id}/"
    assert notice.target_type == "customers.customer"
    # and rep_n1 one notice for one row, the importer none for their own customer
    (other,) = _collisions(org.rep_n1.pk)
    assert other.title == "张伟 导入了 1 行，与你的记录相似（1 条）"
    assert _collisions(org.rep_a1.pk) == []


def test_notices_are_rendered_in_the_owners_language(org: Org) -> None:
    # given an owner who reads English
    org.rep_b1.language = "en"
    org.rep_b1.save(update_fields=["language"])
    a_customer(org.rep_b1, name="杭州云栖智能制造有限公司")

    # when a rep imports a matching row
    run_import(org.rep_a1, "customers", [["name"], ["杭州云栖智能制造"]], mode="create")

    # then the owner's notice is in English
    (notice,) = _collisions(org.rep_b1.pk)
    assert notice.title == "张伟 imported 1 row that looks like your records (1)"


def test_preview_and_dry_runs_notify_nobody(org: Org) -> None:
    a_customer(org.rep_b1, name="杭州云栖智能制造有限公司")
    rows = [["name"], ["杭州云栖智能制造"]]

    # when the file is previewed and then run as a dry run
    actor = services.import_actor(org.rep_a1)
    draft = services.import_job_create(
        actor=actor, object_type="customers", file_name="x.csv", data=csv_bytes(rows), mode="create"
    )
    preview = services.import_job_preview(actor=actor, job_id=draft.pk)
    dry = run_import(org.rep_a1, "customers", rows, mode="create", dry_run=True)

    # then both show the warning, and the owner was told nothing
    assert preview[0].warnings == ["Looks like a customer owned by 王芳 since " + _today(org) + "."]
    assert dry.warning_count == 1
    assert _collisions(org.rep_b1.pk) == []


def _today(org: Org) -> str:
    return timezone.localdate(Customer.objects.get(owner=org.rep_b1).created_at).isoformat()


def test_the_block_policy_rejects_scored_matches_and_still_tells_the_owner(org: Org) -> None:
    # given contacts are blocked on duplicates and rep_b1 has a contact
    DuplicatePolicy.objects.update_or_create(object_type="contacts", defaults={"mode": DuplicateMode.BLOCK})
    a_contact(org.rep_b1, name="陈静", mobile="13900001111", email="")

    # when rep_a1 imports the same person (swapped latin spelling, same mobile) and a new one
    job = run_import(
        org.rep_a1,
        "contacts",
        [["name", "mobile"], ["Jing Chen", "+86 139 0000 1111"], ["赵磊", "13800002222"]],
        mode="create",
    )

    # then the match is rejected with the masked reason, the other created, and the owner told once
    since = timezone.localdate(Contact.objects.get(name="陈静").created_at)
    assert [(item["row"], item["reason"]) for item in job.rejected] == [
        (2, f"Looks like a contact owned by 王芳 since {since}.")
    ]
    assert list(Contact.objects.filter(owner=org.rep_a1).values_list("name", flat=True)) == ["赵磊"]
    assert len(_collisions(org.rep_b1.pk)) == 1


def test_the_allow_policy_skips_the_check_and_notifies_nobody(org: Org) -> None:
    DuplicatePolicy.objects.update_or_create(object_type="customers", defaults={"mode": DuplicateMode.ALLOW})
    a_customer(org.rep_b1, name="杭州云栖智能制造有限公司")

    job = run_import(org.rep_a1, "customers", [["name"], ["杭州云栖智能制造"]], mode="create")

    assert (job.created_count, job.warning_count, job.rejected_count) == (1, 0, 0)
    assert _collisions(org.rep_b1.pk) == []


@pytest.mark.parametrize("rows", [10, 200])
def test_the_check_costs_the_same_queries_for_ten_rows_as_for_two_hundred(org: Org, rows: int) -> None:
    # given customers and contacts of two owners that some rows match
    a_customer(org.rep_b1, name="杭州云栖智能制造有限公司", phone="13900000000")
    a_contact(org.rep_n1, name="刘强", mobile="13900000001")
    creates = [
        (
            number,
            {
                "name": f"联系人{number}",
                "mobile": f"+86139{number:08d}",
                "email": f"p{number}@example.cn",
                "customer_id": None,
            },
        )
        for number in range(rows)
    ]
    checked = Checked(total=rows, creates=creates)

    # when the rows are checked
    with CaptureQueriesContext(connection) as queries:
        warn_duplicates(actor=services.import_actor(org.rep_a1), object_type="contacts", checked=checked)

    # then a fixed number of queries ran: one per source and column the rows' phones and e-mails are
    # looked up in, one per source for the name keys (up to 256 keys a statement), one for the owners' names
    assert len(queries) == 10
    assert checked.warning_count == 2
