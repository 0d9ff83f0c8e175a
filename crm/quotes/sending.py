"""Sending a quote: the PDF by email to a contact of the deal's customer, logged as an email follow-up."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from crm.activities.services.follow_ups import activity_create
from crm.audit.services import save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import FieldError, PermissionDenied, ValidationFailed
from crm.customers.models import Contact
from crm.customers.selectors import contacts_of_customer
from crm.identity.models import User
from crm.identity.rights import user_of
from crm.quotes.approval import needs_approval
from crm.quotes.errors import ApprovalRequired, QuoteLocked, QuoteNotSendable
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.pdf import company_name, pdf_filename, quote_pdf
from crm.quotes.selectors import quote_get, quote_may_change

SEND_FIELDS = ["status", "sent_at", "sent_to"]


def recipients_of(*, viewer: Actor, quote: Quote) -> list[Contact]:
    """Contacts of the deal's customer the viewer may see that have an email address."""
    return [
        contact for contact in contacts_of_customer(viewer=viewer, customer_id=quote.deal.customer_id) if contact.email
    ]


def _refuse_unsendable(quote: Quote) -> None:
    if quote.is_superseded:
        raise QuoteLocked(_("A newer revision of this quote exists; send that one instead."))
    if quote.status == QuoteStatus.PENDING_APPROVAL:
        raise ApprovalRequired(_("This quote is waiting for a manager's approval of its discounts."))
    if quote.status == QuoteStatus.REJECTED:
        raise ApprovalRequired(_("The discounts were rejected: change them and ask for approval again, or lower them."))
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.APPROVED):
        raise QuoteLocked(_("This quote was already sent; create a new revision to send changes."))
    if not quote.lines.exists():
        raise QuoteNotSendable(_("Add at least one line before sending the quote."))


def _compose(quote: Quote, contact: Contact, user: User, message: str) -> tuple[EmailMessage, str]:
    """The email with the PDF attached, and the follow-up text, in the sender's language."""
    with translation.override(user.language or None):
        subject = _("Quote %(quote)s from %(company)s") % {"quote": quote.label, "company": company_name()}
        body = message.strip() or _("Please find our quote %(quote)s attached.") % {"quote": quote.label}
        email = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[contact.email],
            reply_to=[user.email] if user.email else None,
        )
        email.attach(pdf_filename(quote), quote_pdf(quote), "application/pdf")
        return email, _("Sent quote %(quote)s") % {"quote": quote.label}


def quote_send(*, actor: Actor, quote_id: int, version: int, contact_id: int | None, message: str = "") -> Quote:
    """Email the quote's PDF to a contact and log it on the customer's timeline.

    Refused while the discounts need an approval the quote does not have.
    """
    user = user_of(actor)
    if user is None:
        raise PermissionDenied(_("Sign in first."))
    with transaction.atomic():
        quote = quote_get(viewer=actor, quote_id=quote_id, for_update=True)
        if not quote_may_change(actor, quote):
            raise PermissionDenied(_("You may view this quote but not change it."))
        _refuse_unsendable(quote)
        if quote.status != QuoteStatus.APPROVED and needs_approval(quote, user):
            raise ApprovalRequired(
                _("A discount is above your limit: ask your manager to approve the quote before sending it.")
            )
        contact = next((c for c in recipients_of(viewer=actor, quote=quote) if c.pk == contact_id), None)
        if contact is None:
            text = _("Choose a contact of this customer who has an email address.")
            raise ValidationFailed(text, errors=[FieldError(field="contact", message=text)])
        before = snapshot(quote, SEND_FIELDS)
        quote.status = QuoteStatus.SENT
        quote.sent_at = clock.now()
        quote.sent_to = contact.email
        save_versioned(
            actor=actor, instance=quote, expected_version=version, before=before, after=snapshot(quote, SEND_FIELDS)
        )
        email, follow_up = _compose(quote, contact, user, message)
        activity_create(
            actor=actor,
            values={
                "customer_id": quote.deal.customer_id,
                "contact_id": contact.pk,
                "kind": "email",
                "content": follow_up,
            },
        )
        # Last, so a refusal or failure above leaves no email behind; a failed send rolls everything back.
        email.send(fail_silently=False)
    return quote
