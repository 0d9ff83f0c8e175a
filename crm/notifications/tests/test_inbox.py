"""Each user reads and clears only their own notices, in their own language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.translation import gettext_lazy as _
from pytest_django import DjangoAssertNumQueries

from conftest import Org
from crm.core.actors import api_actor, system_actor
from crm.identity.services import token_create
from crm.notifications import selectors
from crm.notifications.models import Notification, NotificationKind
from crm.notifications.services import Notice, notification_mark_all_read, notification_mark_read, notify

pytestmark = pytest.mark.django_db


def a_notice(title: str = "新线索：华为技术有限公司", url: str = "/leads/") -> Notice:
    return Notice(kind=NotificationKind.LEAD_ASSIGNED, title=title, body="来自官网表单", url=url)


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_notice_is_rendered_in_each_recipients_language(org: Org) -> None:
    # given a Chinese-speaking and an English-speaking recipient
    org.rep_a1.language = "zh-hans"
    org.rep_a2.language = "en"
    org.rep_a1.save()
    org.rep_a2.save()
    # when one translatable notice goes to both
    notify([org.rep_a1, org.rep_a2], Notice(kind=NotificationKind.GENERAL, title=_("Import finished")))
    # then each reads it in their own language
    titles = dict(Notification.objects.values_list("recipient__username", "title"))
    assert titles == {"rep_a1": "导入已完成", "rep_a2": "Import finished"}


def test_inactive_and_repeated_recipients_get_nothing_extra(org: Org) -> None:
    org.rep_b1.is_active = False
    org.rep_b1.save()
    created = notify([org.rep_a1, org.rep_a1, org.rep_b1], a_notice())
    assert [n.recipient_id for n in created] == [org.rep_a1.pk]


def test_a_user_can_mark_only_their_own_notice_read(org: Org) -> None:
    # given a notice for rep_a1
    [mine] = notify([org.rep_a1], a_notice())
    # when rep_a2 (and a system process) try to mark it read, then rep_a1 does
    assert notification_mark_read(org.actor(org.rep_a2), mine.pk) == 0
    assert notification_mark_read(system_actor("test"), mine.pk) == 0
    assert notification_mark_read(org.actor(org.rep_a1), mine.pk) == 1
    # then only rep_a1's action counted
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert selectors.unread_count(org.rep_a1) == 0


def test_unread_count_is_capped(org: Org) -> None:
    notify([org.rep_a1], a_notice())
    Notification.objects.bulk_create(
        [Notification(recipient=org.rep_a1, title=f"通知 {i}") for i in range(selectors.UNREAD_CAP + 5)]
    )
    assert selectors.unread_count(org.rep_a1) == selectors.UNREAD_CAP + 1


def test_badge_shows_unread_count_and_inbox_lists_own_notices(org: Org) -> None:
    # given two notices for rep_a1 and one for rep_a2
    notify([org.rep_a1], a_notice("新线索：比亚迪股份有限公司"))
    notify([org.rep_a1, org.rep_a2], a_notice("新线索：美团"))
    client = signed_in(org.rep_a1)
    # when rep_a1 looks at the bell and the inbox
    badge = client.get("/notifications/badge/").content.decode()
    inbox = client.get("/notifications/").content.decode()
    # then they see their two notices only
    assert 'data-testid="unread-count" aria-hidden="true">2<' in badge
    assert inbox.count('data-testid="notification"') == 2
    assert "比亚迪股份有限公司" in inbox


def test_opening_a_notice_marks_it_read_and_follows_only_local_links(org: Org) -> None:
    [local] = notify([org.rep_a1], a_notice(url="/leads/?status=new"))
    [foreign] = notify([org.rep_a1], a_notice(url="https://evil.example.com/"))
    client = signed_in(org.rep_a1)
    assert client.post(f"/notifications/{local.pk}/open/")["Location"] == "/leads/?status=new"
    assert client.post(f"/notifications/{foreign.pk}/open/")["Location"] == "/notifications/"
    assert selectors.unread_count(org.rep_a1) == 0


def test_another_users_notice_cannot_be_opened(org: Org) -> None:
    [theirs] = notify([org.rep_a2], a_notice(url="/customers/"))
    response = signed_in(org.rep_a1).post(f"/notifications/{theirs.pk}/open/")
    assert response["Location"] == "/notifications/"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(org: Org) -> None:
    notify([org.rep_a1], a_notice())
    notify([org.rep_a1, org.rep_a2], a_notice())
    assert notification_mark_all_read(org.actor(org.rep_a1)) == 2
    assert selectors.unread_count(org.rep_a1) == 0
    assert selectors.unread_count(org.rep_a2) == 1


def test_api_lists_and_marks_read(org: Org) -> None:
    # given a token for rep_a1 and notices for two users
    [first] = notify([org.rep_a1], a_notice("一"))
    notify([org.rep_a1], a_notice("二"))
    [theirs] = notify([org.rep_a2], a_notice("三"))
    _token, secret = token_create(actor=api_actor(org.rep_a1), name="tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    # when listing, then marking read
    listing = client.get("/api/v1/notifications?limit=1").json()
    read = client.post(f"/api/v1/notifications/{first.pk}/read")
    others = client.post(f"/api/v1/notifications/{theirs.pk}/read")
    # then rep_a1 sees their newest notice first, reads their own and not another's
    assert [item["title"] for item in listing["items"]] == ["二"]
    assert listing["next_cursor"] is not None
    assert listing["unread_count"] == 2
    assert read.json() == {"marked": 1}
    assert others.status_code == 404
    assert others.json()["code"] == "not_found"
    second_page = client.get(f"/api/v1/notifications?limit=1&cursor={listing['next_cursor']}").json()
    assert [item["title"] for item in second_page["items"]] == ["一"]
    assert client.get("/api/v1/notifications?cursor=garbage").status_code == 400


def test_inbox_queries_do_not_grow_with_notices(
    org: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = signed_in(org.rep_a1)
    notify([org.rep_a1], a_notice())
    with django_assert_max_num_queries(6) as few:
        client.get("/notifications/")
    for _i in range(30):
        notify([org.rep_a1], a_notice())
    with django_assert_max_num_queries(6) as many:
        body = client.get("/notifications/").content.decode()
    assert body.count('data-testid="notification"') == 30
    assert len(many.captured_queries) == len(few.captured_queries)
