"""Demo campaigns with public web forms, and leads that came in through them over recent weeks."""

from __future__ import annotations

import datetime as dt
import random

from crm.core import clock
from crm.core.actors import system_actor
from crm.core.errors import DomainError
from crm.customers.models import Contact
from crm.demo.naming import prospect
from crm.identity.models import User
from crm.leads.models import Lead
from crm.leads.services import lead_convert, lead_set_status
from crm.leads.webforms import Visitor, campaign_save, webform_save, webform_submit

DEMO_WEB_FORM_LEADS = 24
CAMPAIGNS = [
    ("2026 春季智能制造峰会", "峰会报名", ["company_name", "title", "mobile", "email"], ["company_name", "mobile"]),
    ("官网免费试用", "申请免费试用", ["company_name", "mobile", "email", "industry", "notes"], ["email"]),
]
# What became of the leads: (status, hours to first contact, hours to conversion or None).
OUTCOMES = [
    ("new", None, None),
    ("contacted", 3, None),
    ("qualified", 20, None),
    ("unqualified", 50, None),
    ("converted", 6, 120),
]


def demo_campaigns(rng: random.Random, *, reps: list[User]) -> int:
    """Two campaigns with a form each, and web-form leads with realistic follow-up times."""
    actor = system_actor("demo")
    forms = []
    for number, (name, title, fields, required) in enumerate(CAMPAIGNS):
        campaign = campaign_save(
            actor=actor,
            values={
                "name": name,
                "channel": "web_form",
                "starts_on": clock.today() - dt.timedelta(days=60),
                "owner_id": reps[number % len(reps)].pk,
                "is_active": True,
            },
        )
        forms.append(
            webform_save(
                actor=actor,
                values={
                    "campaign_id": campaign.pk,
                    "title": title,
                    "intro": "留下联系方式，我们的顾问会在一个工作日内与您联系。",
                    "fields": fields,
                    "required_fields": required,
                    "consent_text": "我同意贵公司保存我的信息，并就本次活动与我联系。",
                    "thank_you_message": "感谢您的关注，我们会尽快与您联系。",
                    "is_active": True,
                },
            )
        )
    now = clock.now()
    contact_ids = list(Contact.objects.filter(customer__isnull=False).order_by("id").values_list("id", flat=True)[:50])
    for number in range(DEMO_WEB_FORM_LEADS):
        person = prospect(rng, mobile_prefixes=("138", "139", "186", "158"))
        lead = webform_submit(
            form=forms[number % len(forms)],
            data={
                **{key: person[key] for key in ("name", "company_name", "title", "mobile", "industry")},
                "email": f"demo{number}@example.cn",
                "consent": "on",
            },
            # Documentation addresses (RFC 5737), one per visitor, as real traffic would have.
            visitor=Visitor(ip_address=f"198.51.100.{number + 1}", user_agent="Mozilla/5.0", referrer=""),
        )
        if lead is None:
            continue
        status, contact_hours, converted_hours = OUTCOMES[number // len(forms) % len(OUTCOMES)]
        if status == "converted":
            try:
                # Onto a contact already in the CRM, as the duplicate check would suggest.
                contact_id = contact_ids[number % len(contact_ids)] if contact_ids else None
                lead_convert(actor=system_actor("demo"), lead_id=lead.pk, contact_id=contact_id)
            except DomainError:
                # The duplicate policy may refuse a look-alike customer; the lead then stays qualified.
                status, converted_hours = "qualified", None
        if status not in ("new", "converted"):
            reason = "预算不足，明年再议" if status == "unqualified" else ""
            lead_set_status(actor=system_actor("demo"), lead_id=lead.pk, status=status, reason=reason)
        # Spread the arrivals over the last seven weeks so the channel report shows real durations.
        created = now - dt.timedelta(days=rng.randrange(2, 50), hours=rng.randrange(24))
        Lead.objects.filter(pk=lead.pk).update(
            created_at=created,
            first_contacted_at=created + dt.timedelta(hours=contact_hours) if contact_hours else None,
            converted_at=created + dt.timedelta(hours=converted_hours) if converted_hours else None,
        )
    return DEMO_WEB_FORM_LEADS
