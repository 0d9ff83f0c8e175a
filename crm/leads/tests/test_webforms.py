"""Public web forms: the hosted page, the embedded snippet's endpoint, and their protections."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from conftest import Org
from crm.audit.models import AuditEntry
from crm.core.actors import web_actor
from crm.core.errors import PermissionDenied
from crm.leads.models import Lead, WebForm, WebFormHit
from crm.leads.tests.campaign_factories import a_campaign, a_web_form
from crm.leads.webforms import campaign_save, snippet_token

SUBMISSION = {
    "name": "陈晓明",
    "company_name": "苏州明德精密机械有限公司",
    "mobile": "139 1234 5678",
    "email": "chen.xm@mingde-precision.cn",
    "consent": "on",
}


@pytest.fixture
def web_form(org: Org) -> WebForm:
    return a_web_form(org.admin, a_campaign(org.admin, org.rep_a1))


def submitted(**changes: Any) -> dict[str, Any]:
    data = {**SUBMISSION, **changes}
    return {key: value for key, value in data.items() if value is not None}


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def post_hosted(web_form: WebForm, data: dict[str, Any], **extra: Any) -> Any:
    """Open the hosted page (getting the CSRF cookie), then post the form as a browser would."""
    client = csrf_client()
    page = client.get(f"/f/{web_form.token}/")
    token = page.cookies["csrftoken"].value
    return client.post(f"/f/{web_form.token}/", data={**data, "csrfmiddlewaretoken": token}, **extra)


def test_the_hosted_page_shows_the_chosen_fields_and_the_consent(web_form: WebForm) -> None:
    # when a visitor opens the hosted page
    response = Client().get(f"/f/{web_form.token}/")
    # then it shows the fields the administrator chose, the hidden honeypot and the consent text
    body = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["name", "company_name", "mobile", "email", "consent"]
    assert 'name="website_url"' in body
    assert "我同意贵公司保存我的信息并就本次活动与我联系。" in body


def test_a_submission_creates_a_lead_with_source_campaign_and_raw_submission(org: Org, web_form: WebForm) -> None:
    # when a visitor submits the hosted form
    response = post_hosted(
        web_form, submitted(), HTTP_USER_AGENT="Mozilla/5.0 (iPhone)", HTTP_REFERER="https://example.cn/summit"
    )
    # then they land on the thank-you page
    assert response.status_code == 302
    assert response["Location"] == f"/f/{web_form.token}/thanks/"
    # and a new lead records its channel, campaign, owner and everything that was sent
    lead = Lead.objects.get()
    assert (lead.name, lead.company_name, lead.mobile, lead.email) == (
        "陈晓明",
        "苏州明德精密机械有限公司",
        "+8613912345678",
        "chen.xm@mingde-precision.cn",
    )
    assert (lead.channel, lead.campaign, lead.status, lead.owner) == (
        "web_form",
        "2026 春季智能制造峰会",
        "new",
        org.rep_a1,
    )
    raw = lead.raw_submission
    assert raw["fields"] == {
        "name": "陈晓明",
        "company_name": "苏州明德精密机械有限公司",
        "mobile": "139 1234 5678",
        "email": "chen.xm@mingde-precision.cn",
    }
    assert (raw["ip_address"], raw["user_agent"], raw["referrer"]) == (
        "127.0.0.1",
        "Mozilla/5.0 (iPhone)",
        "https://example.cn/summit",
    )
    assert raw["consent"]["given"] is True
    assert raw["consent"]["text"] == "我同意贵公司保存我的信息并就本次活动与我联系。"
    # and the audit log names the form as the one who created it
    entry = AuditEntry.objects.filter(target_type="leads.lead", target_id=lead.pk).get()
    assert entry.actor_name == f"web form {web_form.pk}"
    web_form.refresh_from_db()
    assert web_form.submission_count == 1


def test_the_thank_you_page_shows_the_forms_message(web_form: WebForm) -> None:
    response = Client().get(f"/f/{web_form.token}/thanks/")
    assert response.status_code == 200
    assert "感谢报名，我们会尽快与您联系。" in response.content.decode()


def test_a_redirect_url_replaces_the_thank_you_page(org: Org) -> None:
    # given a form that sends visitors back to the event site
    form = a_web_form(org.admin, a_campaign(org.admin, org.rep_a1), redirect_url="https://summit.example.cn/thanks")
    # when a visitor submits it
    response = post_hosted(form, submitted())
    # then they are sent there
    assert (response.status_code, response["Location"]) == (302, "https://summit.example.cn/thanks")


def test_a_filled_honeypot_looks_accepted_but_is_dropped_and_counted(web_form: WebForm) -> None:
    # when a bot fills every field, the hidden one included
    response = post_hosted(web_form, submitted(website_url="http://spam.example.com"))
    # then it sees the usual thank-you redirect, but no lead is created and the drop is counted
    assert response.status_code == 302
    assert Lead.objects.count() == 0
    web_form.refresh_from_db()
    assert (web_form.spam_count, web_form.submission_count) == (1, 0)


def test_without_consent_the_form_is_shown_again_with_the_message(web_form: WebForm) -> None:
    # when a visitor forgets to tick the consent box
    response = post_hosted(web_form, submitted(consent=None))
    # then the form comes back with the message on the box and what they typed kept
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors == {"consent": ["请勾选同意后再提交。"]}
    assert 'value="陈晓明"' in response.content.decode()
    assert Lead.objects.count() == 0


def test_invalid_phone_email_and_missing_required_fields_get_a_message_each(web_form: WebForm) -> None:
    # when the mobile is garbage and the email malformed
    bad = post_hosted(web_form, submitted(mobile="12ab", email="chen@"))
    # then each field has its own message
    assert bad.status_code == 422
    assert set(bad.context["form"].errors) == {"mobile", "email"}
    # when a required field (mobile) and the name are left empty
    empty = post_hosted(web_form, submitted(mobile="", name=""))
    assert empty.status_code == 422
    assert empty.context["form"].errors == {
        "name": ["此项为必填项。"],
        "mobile": ["此项为必填项。"],
    }
    assert Lead.objects.count() == 0


def test_oversized_values_are_refused_on_the_field(web_form: WebForm) -> None:
    response = post_hosted(web_form, submitted(company_name="厂" * 2001))
    assert response.status_code == 422
    assert response.context["form"].errors == {"company_name": ["最多 2000 个字符。"]}


def test_a_huge_body_is_refused(web_form: WebForm) -> None:
    response = post_hosted(web_form, submitted(company_name="x" * 40_000))
    assert response.status_code == 413
    assert Lead.objects.count() == 0


def test_nul_characters_are_refused(web_form: WebForm) -> None:
    response = post_hosted(web_form, submitted(name="陈\x00晓明"))
    assert response.status_code == 400
    assert Lead.objects.count() == 0


def test_over_the_limit_per_address_gives_a_429_page(settings: Any, web_form: WebForm) -> None:
    # given a limit of two submissions per address
    settings.CRM_WEBFORM_LIMIT_PER_IP = 2
    # when one address sends three
    statuses = [post_hosted(web_form, submitted(mobile=f"1391234567{i}")).status_code for i in range(3)]
    # then the third is refused with a clear page, and only two leads exist
    assert statuses == [302, 302, 429]
    refused = post_hosted(web_form, submitted())
    assert "提交过于频繁，请稍后再试。" in refused.content.decode()
    assert Lead.objects.count() == 2


def test_over_the_limit_per_form_gives_a_429_from_any_address(settings: Any, web_form: WebForm) -> None:
    settings.CRM_WEBFORM_LIMIT_PER_FORM = 1
    assert post_hosted(web_form, submitted(), REMOTE_ADDR="203.0.113.5").status_code == 302
    assert post_hosted(web_form, submitted(), REMOTE_ADDR="203.0.113.6").status_code == 429


def test_old_attempts_no_longer_count(settings: Any, web_form: WebForm) -> None:
    # given an address at its limit an hour and a half ago
    settings.CRM_WEBFORM_LIMIT_PER_IP = 1
    assert post_hosted(web_form, submitted()).status_code == 302
    WebFormHit.objects.update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=90))
    # when it submits again
    response = post_hosted(web_form, submitted(mobile="13912345679"))
    # then it is accepted and the old attempt is gone
    assert response.status_code == 302
    assert WebFormHit.objects.count() == 1


def test_the_hosted_page_is_protected_by_csrf(web_form: WebForm) -> None:
    response = csrf_client().post(f"/f/{web_form.token}/", data=submitted())
    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_the_snippet_endpoint_accepts_a_cross_site_post_with_its_token(web_form: WebForm) -> None:
    # when another site's page posts the snippet, without any CSRF cookie or token
    response = csrf_client().post(
        f"/f/{web_form.token}/submit/",
        data=submitted(form_token=snippet_token(web_form)),
        HTTP_ORIGIN="https://www.partner-site.cn",
        HTTP_REFERER="https://www.partner-site.cn/summit",
    )
    # then the lead is created and the visitor thanked
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.raw_submission["referrer"] == "https://www.partner-site.cn/summit"


def test_the_snippet_endpoint_refuses_a_post_without_the_form_token(web_form: WebForm) -> None:
    response = csrf_client().post(f"/f/{web_form.token}/submit/", data=submitted(form_token="guessed"))
    assert response.status_code == 400
    assert Lead.objects.count() == 0


def test_the_snippet_endpoint_shows_field_errors_on_the_hosted_page(web_form: WebForm) -> None:
    response = csrf_client().post(
        f"/f/{web_form.token}/submit/", data=submitted(form_token=snippet_token(web_form), email="not-an-email")
    )
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"email"}


@pytest.mark.parametrize("change", ["form", "campaign", "ended", "unknown"])
def test_an_inactive_or_unknown_form_is_404(org: Org, web_form: WebForm, change: str) -> None:
    # given a form that is switched off, or whose campaign is, or has ended, or a wrong address
    token = web_form.token
    campaign = web_form.campaign
    values = {"name": campaign.name, "owner_id": campaign.owner_id, "is_active": True}
    if change == "form":
        WebForm.objects.filter(pk=web_form.pk).update(is_active=False)
    elif change == "campaign":
        campaign_save(actor=web_actor(org.admin), values={**values, "is_active": False}, campaign_id=campaign.pk)
    elif change == "ended":
        campaign_save(actor=web_actor(org.admin), values={**values, "ends_on": "2020-01-31"}, campaign_id=campaign.pk)
    else:
        token = "no-such-form"
    # when a visitor opens it or posts to it
    page = Client().get(f"/f/{token}/")
    post = Client().post(f"/f/{token}/submit/", data=submitted(form_token=snippet_token(web_form)))
    # then both are not found
    assert (page.status_code, post.status_code) == (404, 404)
    assert Lead.objects.count() == 0


def test_the_page_follows_the_lang_parameter_and_accept_language(web_form: WebForm) -> None:
    # when visitors open the page with ?lang=, with an English browser, a Chinese one, or neither
    by_parameter = Client().get(f"/f/{web_form.token}/?lang=en", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    by_browser = Client().get(f"/f/{web_form.token}/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    chinese = Client().get(f"/f/{web_form.token}/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    default = Client().get(f"/f/{web_form.token}/").content.decode()
    # then the parameter wins, then the browser's language, and Chinese is the default
    assert ">Send<" in by_parameter
    assert ">Send<" in by_browser
    assert ">提交<" in chinese
    assert ">提交<" in default


def test_a_campaign_without_an_active_owner_falls_back_to_an_administrator(org: Org, web_form: WebForm) -> None:
    # given the campaign's owner has left
    org.rep_a1.is_active = False
    org.rep_a1.save()
    # when a visitor submits
    post_hosted(web_form, submitted())
    # then an administrator owns the lead
    assert Lead.objects.get().owner == org.admin


def test_only_administrators_set_up_campaigns(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        a_campaign(org.rep_a1, org.rep_a1)
    assert Client().get("/leads/campaigns/").status_code == 302
    rep = Client()
    rep.force_login(org.rep_a1)
    assert rep.get("/leads/campaigns/").status_code == 403


def test_the_admin_screen_shows_the_hosted_address_and_a_working_snippet(org: Org, web_form: WebForm) -> None:
    # given an administrator
    admin = Client()
    admin.force_login(org.admin)
    # when they open the form's screen
    response = admin.get(f"/leads/forms/{web_form.pk}/edit/")
    # then the hosted address and the snippet, posting to the exempt endpoint with its token, are shown
    assert response.status_code == 200
    assert response.context["hosted_url"] == f"http://testserver/f/{web_form.token}/"
    snippet = response.context["snippet"]
    assert f'action="http://testserver/f/{web_form.token}/submit/"' in snippet
    assert f'name="form_token" value="{snippet_token(web_form)}"' in snippet
    assert 'name="website_url"' in snippet
    assert 'name="mobile" required' in snippet


def test_an_administrator_creates_a_campaign_and_a_form_through_the_screens(org: Org) -> None:
    admin = Client()
    admin.force_login(org.admin)
    created = admin.post(
        "/leads/campaigns/new/",
        data={"name": "上海工博会 2026", "channel": "event", "owner_id": org.rep_b1.pk, "is_active": "on"},
    )
    assert created.status_code == 302
    campaign = admin.get("/leads/campaigns/").context["campaigns"][0]
    assert (campaign.name, campaign.channel, campaign.owner) == ("上海工博会 2026", "event", org.rep_b1)
    form = admin.post(
        f"/leads/campaigns/{campaign.pk}/forms/new/",
        data={
            "title": "展位预约",
            "asked_fields": ["company_name", "email"],
            "required_fields": ["email", "mobile"],
            "consent_text": "我同意被联系。",
            "is_active": "on",
        },
    )
    web_form = WebForm.objects.get()
    assert form["Location"] == f"/leads/forms/{web_form.pk}/edit/"
    # a field that is not asked cannot be required
    assert (web_form.fields, web_form.required_fields) == (["name", "company_name", "email"], ["name", "email"])
    assert len(web_form.token) == 32


def test_a_duplicate_campaign_name_is_refused_on_the_field(org: Org) -> None:
    a_campaign(org.admin, org.rep_a1)
    admin = Client()
    admin.force_login(org.admin)
    response = admin.post(
        "/leads/campaigns/new/",
        data={"name": "2026 春季智能制造峰会", "channel": "web_form", "owner_id": org.rep_a1.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["已有同名的市场活动。"]}


def test_a_submission_matching_a_colleagues_customer_is_kept_and_its_owner_told(org: Org, web_form: WebForm) -> None:
    from crm.customers.tests.factories import a_customer
    from crm.notifications.models import Notification, NotificationKind

    # given rep_n1 already has the submitter's company as a customer, with the same phone
    a_customer(org.rep_n1, name="苏州明德精密机械有限公司", phone="13912345678")
    # when a visitor submits the form with that company and phone
    response = post_hosted(web_form, submitted())
    # then the lead is created anyway, and rep_n1 hears about the collision (撞单) once
    assert response.status_code == 302
    assert Lead.objects.count() == 1
    [notice] = Notification.objects.filter(kind=NotificationKind.DUPLICATE_COLLISION)
    assert notice.recipient_id == org.rep_n1.pk
    assert "苏州明德精密机械有限公司" in notice.title
