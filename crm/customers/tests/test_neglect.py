"""Neglected customers: thresholds per grade, told once, managers later, visible only where allowed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from conftest import Org
from crm.audit.models import AuditEntry, Verb
from crm.core.actors import system_actor
from crm.core.errors import PermissionDenied, ValidationFailed
from crm.customers.models import Customer, NeglectFlag, NeglectSettings
from crm.customers.neglect import (
    customers_flag_neglected,
    customers_neglect_recheck,
    neglect_settings_get,
    neglect_settings_save,
)
from crm.customers.tasks import flag_neglected_customers
from crm.customers.tests.factories import a_customer
from crm.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
JOB = system_actor("flag_neglected_customers")


def run(days_later: float) -> None:
    with time_machine.travel(START + dt.timedelta(days=days_later), tick=False):
        customers_flag_neglected(actor=JOB)


def created(owner: object, **values: object) -> Customer:
    with time_machine.travel(START, tick=False):
        return a_customer(owner, **values)  # type: ignore[arg-type]


def flagged_names() -> list[str]:
    return sorted(Customer.objects.filter(neglect_flag__isnull=False).values_list("name", flat=True))


def notices() -> list[tuple[int, str, str, str]]:
    return [
        (n.recipient_id, n.title, n.body, n.url)
        for n in Notification.objects.filter(kind=NotificationKind.NEGLECTED_CUSTOMERS).order_by("id")
    ]


def test_each_grade_has_its_own_threshold_and_no_grade_uses_the_default(org: Org) -> None:
    # given the defaults: A 7 days, B 14, C 30, D blank (uses the default, 30), no grade 30
    created(org.rep_a1, name="甲级客户", grade="A")
    created(org.rep_a1, name="乙级客户", grade="B")
    created(org.rep_a1, name="丁级客户", grade="D")
    created(org.rep_a1, name="未分级客户", grade="")
    # when the check runs on day 6, 8, 15 and 31
    run(6)
    assert flagged_names() == []
    run(8)
    assert flagged_names() == ["甲级客户"]
    run(15)
    assert flagged_names() == ["乙级客户", "甲级客户"]
    run(31)
    # then every customer is flagged once its own threshold passed, since the run that found it
    assert flagged_names() == ["丁级客户", "乙级客户", "未分级客户", "甲级客户"]
    assert Customer.objects.get(name="甲级客户").neglected_since == START + dt.timedelta(days=8)
    assert Customer.objects.get(name="乙级客户").neglected_since == START + dt.timedelta(days=15)


def test_a_blank_default_turns_the_check_off_for_grades_without_their_own_days(org: Org) -> None:
    neglect_settings_save(
        actor=org.actor(org.admin),
        values={"default_days": "", "grade_a_days": "3", "manager_after_days": "5"},
    )
    created(org.rep_a1, name="甲级客户", grade="A")
    created(org.rep_a1, name="乙级客户", grade="B")
    run(400)
    assert flagged_names() == ["甲级客户"]


def test_the_last_follow_up_not_the_creation_counts_once_there_is_one(org: Org) -> None:
    customer = created(org.rep_a1, name="甲级客户", grade="A")
    Customer.objects.filter(pk=customer.pk).update(last_follow_up_at=START + dt.timedelta(days=5))
    run(11)
    assert flagged_names() == []
    run(13)
    assert flagged_names() == ["甲级客户"]


def test_running_twice_tells_the_owner_once_with_one_notice_listing_the_customers(org: Org) -> None:
    # given two of rep_a1's customers and one of rep_b1's go quiet
    created(org.rep_a1, name="华信科技", grade="A")
    created(org.rep_a1, name="星河数据", grade="A")
    created(org.rep_b1, name="远山物流", grade="A")
    # when the check runs twice on the same day and again the next day
    run(8)
    run(8)
    run(9)
    # then each owner got exactly one notice, counting and naming their own customers, linking the filter
    assert notices() == [
        (org.rep_a1.pk, "你有 2 个客户长期未跟进", "华信科技、星河数据", "/customers/?neglected=1"),
        (org.rep_b1.pk, "你有 1 个客户长期未跟进", "远山物流", "/customers/?neglected=1"),
    ]


def test_the_notice_is_in_the_recipients_language_and_counts_beyond_the_sample(org: Org) -> None:
    org.rep_a1.language = "en"
    org.rep_a1.save(update_fields=["language"])
    for number in range(7):
        created(org.rep_a1, name=f"客户{number}", grade="A")
    run(8)
    [(recipient, title, body, _url)] = notices()
    assert (recipient, title) == (org.rep_a1.pk, "7 of your customers have had no follow-up for too long")
    assert body == "客户0、客户1、客户2、客户3、客户4 …(+2)"


def test_the_team_manager_is_told_once_after_the_extra_days(org: Org) -> None:
    # given manager escalation after 3 more days
    neglect_settings_save(
        actor=org.actor(org.admin),
        values={"default_days": "30", "grade_a_days": "7", "manager_after_days": "3"},
    )
    created(org.rep_a1, name="华信科技", grade="A")
    created(org.rep_a2, name="星河数据", grade="A")
    # when the check runs on day 8 (flagged), 10 (too early), 12 and 13
    run(8)
    run(10)
    assert not Notification.objects.filter(recipient=org.east_a_manager).exists()
    run(12)
    run(13)
    # then the manager of team east_a was told once about both, with a link to the team's flagged customers
    [notice] = Notification.objects.filter(recipient=org.east_a_manager)
    assert notice.title == "你团队的 2 个客户已多日未跟进"
    assert notice.body == "华信科技、星河数据"
    assert notice.url == f"/customers/?neglected=1&team={org.east_a.pk}"
    assert Notification.objects.filter(kind=NotificationKind.NEGLECTED_CUSTOMERS).count() == 3


def test_a_recovered_customer_is_cleared_and_told_afresh_when_it_goes_quiet_again(org: Org) -> None:
    customer = created(org.rep_a1, name="华信科技", grade="A")
    run(8)
    # when a follow-up is recorded on day 9 (the activities services set the column and recheck)
    Customer.objects.filter(pk=customer.pk).update(last_follow_up_at=START + dt.timedelta(days=9))
    with time_machine.travel(START + dt.timedelta(days=9), tick=False):
        customers_neglect_recheck(customer_ids=[customer.pk])
    # then the flag and its "told" marks are cleared at once
    assert Customer.objects.get(pk=customer.pk).neglected_since is None
    assert not NeglectFlag.objects.filter(customer=customer).exists()
    # and when it goes quiet again, the owner is told again
    run(17)
    assert len(notices()) == 2


def test_raising_a_threshold_clears_customers_that_no_longer_qualify(org: Org) -> None:
    created(org.rep_a1, name="华信科技", grade="A")
    run(8)
    neglect_settings_save(
        actor=org.actor(org.admin),
        values={"default_days": "30", "grade_a_days": "60", "manager_after_days": "7"},
    )
    run(9)
    assert flagged_names() == []


def test_deleted_customers_are_not_flagged_and_the_job_is_system_only(org: Org) -> None:
    customer = created(org.rep_a1, name="华信科技", grade="A")
    Customer.objects.filter(pk=customer.pk).update(deleted_at=START)
    run(8)
    assert flagged_names() == []
    assert notices() == []
    with pytest.raises(PermissionDenied):
        customers_flag_neglected(actor=org.actor(org.admin))


def test_the_scheduled_task_runs_the_check(org: Org) -> None:
    created(org.rep_a1, name="华信科技", grade="A")
    with time_machine.travel(START + dt.timedelta(days=8), tick=False):
        result = flag_neglected_customers.call()
    assert result == 1
    assert flagged_names() == ["华信科技"]


# Settings ---------------------------------------------------------------------------------------


def test_settings_default_until_saved_and_saving_is_audited(org: Org) -> None:
    assert neglect_settings_get().pk is None
    assert neglect_settings_get().days_for("A") == 7
    saved = neglect_settings_save(
        actor=org.actor(org.admin),
        values={"default_days": "20", "grade_a_days": "5", "grade_b_days": "", "manager_after_days": "4"},
    )
    assert (saved.default_days, saved.grade_a_days, saved.grade_b_days, saved.manager_after_days) == (20, 5, None, 4)
    assert saved.days_for("B") == 20
    assert NeglectSettings.objects.count() == 1
    entry = AuditEntry.objects.get(verb=Verb.UPDATE, target_type="customers.neglectsettings")
    assert entry.changes["grade_a_days"] == [None, 5]


def test_settings_refuse_bad_numbers_naming_each_field(org: Org) -> None:
    with pytest.raises(ValidationFailed) as caught:
        neglect_settings_save(
            actor=org.actor(org.admin),
            values={"default_days": "0", "grade_a_days": "abc", "manager_after_days": ""},
        )
    errors = {error.field: error.message for error in caught.value.errors}
    assert errors == {
        "default_days": "默认（天）：请输入 1 到 3650 之间的整数天数。",
        "grade_a_days": "A 级（天）：请输入 1 到 3650 之间的整数天数。",
        "manager_after_days": "再过几天告知经理（天）：请输入 1 到 3650 之间的整数天数。",
    }


def test_only_administrators_change_the_settings(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        neglect_settings_save(actor=org.actor(org.east_manager), values={"manager_after_days": "3"})


def login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_settings_page_saves_and_shows_errors_beside_the_fields(org: Org) -> None:
    client = login(org.admin)
    page = client.get("/customers/neglect/settings/")
    assert page.status_code == 200
    assert 'name="grade_a_days" value="7"' in page.content.decode()
    refused = client.post("/customers/neglect/settings/", {"default_days": "30", "manager_after_days": "9999"})
    assert refused.status_code == 200
    assert "再过几天告知经理（天）：请输入 1 到 3650 之间的整数天数。" in refused.content.decode()
    saved = client.post(
        "/customers/neglect/settings/",
        {"default_days": "45", "grade_a_days": "10", "grade_b_days": "20", "manager_after_days": "5"},
    )
    assert saved.status_code == 302
    assert neglect_settings_get().grade_a_days == 10
    assert login(org.rep_a1).get("/customers/neglect/settings/").status_code == 403


# The list and the customer page -----------------------------------------------------------------


def test_a_rep_sees_only_their_own_flags_and_a_manager_their_teams(org: Org) -> None:
    # given flagged customers of rep_a1, rep_a2 (same team) and rep_b1 (another team), and a quiet-free one
    created(org.rep_a1, name="华信科技", grade="A")
    created(org.rep_a2, name="星河数据", grade="A")
    created(org.rep_b1, name="远山物流", grade="A")
    created(org.rep_a1, name="近期客户", grade="C")
    run(8)
    with time_machine.travel(START + dt.timedelta(days=8), tick=False):
        rep_page = login(org.rep_a1).get("/customers/?neglected=1").content.decode()
        manager_page = login(org.east_a_manager).get("/customers/?neglected=1").content.decode()
    # then the rep sees only their own flagged customer, with its badge
    assert "华信科技" in rep_page
    assert "8 天未跟进" in rep_page
    assert all(name not in rep_page for name in ("星河数据", "远山物流", "近期客户"))
    # and the team manager sees the team's, not the other team's
    assert "华信科技" in manager_page
    assert "星河数据" in manager_page
    assert "远山物流" not in manager_page


def test_the_neglected_list_costs_the_same_queries_however_many_are_flagged(
    org: Org, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = login(org.rep_a1)
    created(org.rep_a1, name="客户甲", grade="A")
    run(8)
    client.get("/customers/?neglected=1")  # warm the per-process caches (session, preferences)
    # (one of them counts the flags, to choose how the list reads them: crm.core.flag_tables)
    with django_assert_num_queries(9) as few:
        client.get("/customers/?neglected=1")
    for number in range(12):
        created(org.rep_a1, name=f"客户{number}", grade="A")
    run(9)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/customers/?neglected=1")
    assert response.content.decode().count('data-testid="neglected"') == 13


def test_the_customer_page_says_since_when_and_how_many_days(org: Org) -> None:
    customer = created(org.rep_a1, name="华信科技", grade="A")
    quiet = created(org.rep_a1, name="星河数据", grade="A")
    Customer.objects.filter(pk=customer.pk).update(last_follow_up_at=START + dt.timedelta(days=1))
    run(20)
    client = login(org.rep_a1)
    with time_machine.travel(START + dt.timedelta(days=20), tick=False):
        html = client.get(f"/customers/{customer.pk}/").content.decode()
        never = client.get(f"/customers/{quiet.pk}/").content.decode()
    assert "已 19 天未跟进（自 2026-03-03 起）" in html
    assert "创建 20 天来从未跟进" in never
    assert login(org.rep_b1).get(f"/customers/{customer.pk}/").status_code == 404


def test_the_api_filters_neglected_customers_and_says_since_when(org: Org) -> None:
    created(org.rep_a1, name="华信科技", grade="A")
    created(org.rep_a1, name="近期客户", grade="C")
    created(org.rep_b1, name="远山物流", grade="A")
    run(8)
    body = login(org.rep_a1).get("/api/v1/customers?neglected=true").json()
    assert [(item["name"], item["neglected_since"], item["last_follow_up_at"]) for item in body["items"]] == [
        ("华信科技", "2026-03-10T02:00:00Z", None)
    ]


# Handovers and grade changes --------------------------------------------------------------------


def test_a_handover_tells_the_new_owner_at_the_next_run_and_nobody_twice(org: Org) -> None:
    from crm.customers.services import customer_update

    customer = created(org.rep_a1, name="华信科技", grade="A")
    run(8)
    # when the flagged customer is handed over to rep_a2 (rep_a1 was told already)
    with time_machine.travel(START + dt.timedelta(days=8, hours=2), tick=False):
        customer_update(
            actor=org.actor(org.admin),
            customer_id=customer.pk,
            version=Customer.objects.get(pk=customer.pk).version,
            values={"owner_id": org.rep_a2.pk},
        )
    run(9)
    run(10)
    # then the new owner hears about it once, the old one is not told again, and it stays flagged since day 8
    assert [(recipient, body) for recipient, _title, body, _url in notices()] == [
        (org.rep_a1.pk, "华信科技"),
        (org.rep_a2.pk, "华信科技"),
    ]
    assert Customer.objects.get(pk=customer.pk).neglected_since == START + dt.timedelta(days=8)


def test_a_new_grade_flags_or_clears_at_once(org: Org) -> None:
    from crm.customers.services import customer_update

    quiet = created(org.rep_a1, name="华信科技", grade="C")
    flagged = created(org.rep_a1, name="星河数据", grade="A")
    run(10)
    assert flagged_names() == ["星河数据"]

    def regrade(customer: Customer, grade: str) -> None:
        with time_machine.travel(START + dt.timedelta(days=10, hours=1), tick=False):
            customer_update(
                actor=org.actor(org.rep_a1),
                customer_id=customer.pk,
                version=Customer.objects.get(pk=customer.pk).version,
                values={"grade": grade},
            )

    # when the C customer (30 days) becomes A (7 days) and the A one becomes C, before the next run
    regrade(quiet, "A")
    regrade(flagged, "C")
    # then the flags follow the new thresholds at once; the owner hears about the new one at the next run
    assert flagged_names() == ["华信科技"]
    run(10.5)
    assert [body for _recipient, _title, body, _url in notices()] == ["星河数据", "华信科技"]


def test_bulk_updates_follow_handovers_and_grades_too(org: Org) -> None:
    from crm.customers.services import customer_update_many

    handed = created(org.rep_a1, name="华信科技", grade="A")
    regraded = created(org.rep_a1, name="星河数据", grade="A")
    run(8)
    records = {c.pk: c for c in Customer.objects.filter(pk__in=[handed.pk, regraded.pk])}
    with time_machine.travel(START + dt.timedelta(days=8, hours=1), tick=False):
        customer_update_many(
            actor=org.actor(org.admin),
            changes=[(records[handed.pk], {"owner_id": org.rep_a2.pk}), (records[regraded.pk], {"grade": "C"})],
        )
    assert flagged_names() == ["华信科技"]
    assert NeglectFlag.objects.get(customer=handed).owner_told_at is None
