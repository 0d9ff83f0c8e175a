"""Discount approval and sending: every refusal path, the notices, the email with its PDF and the follow-up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation

from conftest import Org, make_user
from crm.activities.models import Activity
from crm.audit.models import AuditEntry, Verb
from crm.core.errors import NotFound, PermissionDenied, ValidationFailed
from crm.customers.services import contact_create
from crm.customers.tests.factories import a_customer
from crm.deals.models import Deal
from crm.deals.tests.factories import a_deal
from crm.identity.models import BuiltinRole, User
from crm.notifications.models import Notification
from crm.quotes.approval import quote_approve, quote_reject, quote_request_approval
from crm.quotes.errors import ApprovalNotAllowed, ApprovalRequired, QuoteLocked, QuoteNotSendable
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.selectors import quote_sent_since
from crm.quotes.sending import quote_send
from crm.quotes.services import discount_limit_set, quote_line_update, quote_new_revision, quote_record_outcome
from crm.quotes.tests.factories import a_line, a_quote, fresh


def _deal_with_contact(org: Org, owner: User | None = None) -> tuple[Deal, int]:
    owner = owner or org.rep_a1
    customer = a_customer(owner, name="上海云帆信息技术有限公司")
    contact = contact_create(
        actor=org.actor(owner),
        values={"customer_id": customer.pk, "name": "陈静", "email": "chenjing@yunfan.example.cn"},
    )
    return a_deal(owner, customer), contact.pk


def _discounted_quote(org: Org, discount: str = "15") -> tuple[Quote, int]:
    """A quote on rep_a1's deal with one line above the sales rep's 10% line limit."""
    deal, contact_id = _deal_with_contact(org)
    quote = a_quote(deal)
    a_line(quote, discount_percent=discount)
    return fresh(quote), contact_id


def test_a_discount_within_the_limit_is_sent_without_approval(org: Org) -> None:
    # given a quote with 10% off, exactly the sales rep's limit
    quote, contact_id = _discounted_quote(org, "10")

    # when the rep sends it
    sent = quote_send(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version, contact_id=contact_id)

    # then the email goes out with the PDF, the quote is sent, and a follow-up is logged
    assert sent.status == QuoteStatus.SENT
    assert sent.sent_to == "chenjing@yunfan.example.cn"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["chenjing@yunfan.example.cn"]
    assert message.reply_to == ["rep_a1@example.com"]
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == (f"{quote.number}-v1.pdf", "application/pdf")
    assert bytes(content).startswith(b"%PDF")
    activity = Activity.objects.get(customer_id=quote.deal.customer_id)
    assert (activity.kind, activity.content, activity.contact_id) == (
        "email",
        f"发送报价单 {quote.number} v1",
        contact_id,
    )
    assert quote_sent_since(quote.deal_id, None) is True


def test_sending_a_discount_above_the_limit_needs_approval(org: Org) -> None:
    quote, contact_id = _discounted_quote(org)

    with pytest.raises(ApprovalRequired):
        quote_send(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version, contact_id=contact_id)

    assert fresh(quote).status == QuoteStatus.DRAFT
    assert mail.outbox == []
    assert not Activity.objects.exists()


def test_request_approval_notifies_the_team_manager(org: Org) -> None:
    quote, _contact = _discounted_quote(org)

    pending = quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)

    assert pending.status == QuoteStatus.PENDING_APPROVAL
    assert pending.approval_requested_by == org.rep_a1
    notice = Notification.objects.get()
    assert notice.recipient == org.east_a_manager
    assert notice.title == f"折扣审批申请：{quote.label}"
    assert notice.url == f"/quotes/{quote.pk}/"


def test_approved_quote_can_be_sent_and_the_decision_is_audited_and_notified(org: Org) -> None:
    # given a pending request
    quote, contact_id = _discounted_quote(org)
    pending = quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)

    # when the team manager approves it
    approved = quote_approve(
        actor=org.actor(org.east_a_manager), quote_id=quote.pk, version=pending.version, comment="战略客户，同意"
    )

    # then the rep is told, the decision is audited, and the quote can go out
    assert (approved.status, approved.approval_decided_by, approved.approval_comment) == (
        QuoteStatus.APPROVED,
        org.east_a_manager,
        "战略客户，同意",
    )
    assert Notification.objects.filter(recipient=org.rep_a1, title=f"折扣已批准：{quote.label}").count() == 1
    entry = AuditEntry.objects.filter(target_type="quotes.quote", target_id=quote.pk, verb=Verb.UPDATE).first()
    assert entry is not None
    assert entry.changes["status"] == ["pending_approval", "approved"]
    sent = quote_send(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=approved.version, contact_id=contact_id)
    assert sent.status == QuoteStatus.SENT


def test_a_rejected_quote_cannot_be_sent_until_changed(org: Org) -> None:
    quote, contact_id = _discounted_quote(org)
    pending = quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)

    rejected = quote_reject(
        actor=org.actor(org.east_a_manager), quote_id=quote.pk, version=pending.version, comment="折扣过高"
    )

    assert rejected.status == QuoteStatus.REJECTED
    with pytest.raises(ApprovalRequired):
        quote_send(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=rejected.version, contact_id=contact_id)
    # lowering the discount to the limit makes it a sendable draft again
    line = quote.lines.get()
    quote_line_update(
        actor=org.actor(org.rep_a1),
        quote_id=quote.pk,
        line_id=line.pk,
        version=rejected.version,
        values={"discount_percent": "8"},
    )
    assert fresh(quote).status == QuoteStatus.DRAFT
    quote_send(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=fresh(quote).version, contact_id=contact_id)
    assert fresh(quote).status == QuoteStatus.SENT


def test_rejecting_needs_a_reason(org: Org) -> None:
    quote, _contact = _discounted_quote(org)
    pending = quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)

    with pytest.raises(ValidationFailed) as refused:
        quote_reject(actor=org.actor(org.east_a_manager), quote_id=quote.pk, version=pending.version, comment=" ")

    assert [error.field for error in refused.value.errors] == ["comment"]


def test_a_pending_quote_can_neither_be_sent_nor_edited_nor_requested_again(org: Org) -> None:
    quote, contact_id = _discounted_quote(org)
    pending = quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)
    rep = org.actor(org.rep_a1)

    with pytest.raises(ApprovalRequired):
        quote_send(actor=rep, quote_id=quote.pk, version=pending.version, contact_id=contact_id)
    with pytest.raises(QuoteLocked):
        quote_line_update(
            actor=rep,
            quote_id=quote.pk,
            line_id=quote.lines.get().pk,
            version=pending.version,
            values={"quantity": "2"},
        )
    with pytest.raises(QuoteLocked):
        quote_request_approval(actor=rep, quote_id=quote.pk, version=pending.version)


def test_approval_is_refused_when_no_discount_exceeds_the_limit(org: Org) -> None:
    quote, _contact = _discounted_quote(org, "5")

    with pytest.raises(ValidationFailed):
        quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)


def test_approval_of_an_empty_quote_is_refused(org: Org) -> None:
    quote = a_quote(a_deal(org.rep_a1))

    with pytest.raises(QuoteNotSendable):
        quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)


def test_nobody_approves_their_own_request_and_reps_cannot_approve(org: Org) -> None:
    # given the team manager's own quote with 30% off (above a sales manager's 20%)
    deal, _contact = _deal_with_contact(org, org.east_a_manager)
    quote = a_quote(deal)
    a_line(quote, discount_percent="30")
    manager = org.actor(org.east_a_manager)
    pending = quote_request_approval(actor=manager, quote_id=quote.pk, version=fresh(quote).version)

    # then the requester cannot approve it, a rep cannot even see it, and the manager above can
    with pytest.raises(ApprovalNotAllowed):
        quote_approve(actor=manager, quote_id=quote.pk, version=pending.version)
    with pytest.raises(NotFound):
        quote_approve(actor=org.actor(org.rep_a2), quote_id=quote.pk, version=pending.version)
    assert Notification.objects.get().recipient == org.east_manager
    approved = quote_approve(actor=org.actor(org.east_manager), quote_id=quote.pk, version=pending.version)
    assert approved.status == QuoteStatus.APPROVED


def test_a_role_whose_limit_covers_the_discount_may_approve(org: Org) -> None:
    # given finance (sees everything) given a 50% limit
    discount_limit_set(
        actor=org.actor(org.admin), role_id=org.finance.role_id or 0, max_line_discount="50", max_quote_discount="50"
    )
    quote, _contact = _discounted_quote(org)
    pending = quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)

    approved = quote_approve(actor=org.actor(org.finance), quote_id=quote.pk, version=pending.version)

    assert approved.approval_decided_by == org.finance


def test_deciding_on_a_quote_that_is_not_pending_is_refused(org: Org) -> None:
    quote, _contact = _discounted_quote(org)

    with pytest.raises(ApprovalNotAllowed):
        quote_approve(actor=org.actor(org.east_a_manager), quote_id=quote.pk, version=quote.version)


def test_sending_refusals(org: Org) -> None:
    # given an empty quote, a quote with a line, and a contact without email
    deal, contact_id = _deal_with_contact(org)
    rep = org.actor(org.rep_a1)
    empty = a_quote(deal)
    no_email = contact_create(actor=rep, values={"customer_id": deal.customer_id, "name": "周强"})
    quote = a_quote(deal)
    a_line(quote)

    # then: no lines, a contact without email, a stranger, and a second send are all refused
    with pytest.raises(QuoteNotSendable):
        quote_send(actor=rep, quote_id=empty.pk, version=empty.version, contact_id=contact_id)
    with pytest.raises(ValidationFailed) as refused:
        quote_send(actor=rep, quote_id=quote.pk, version=fresh(quote).version, contact_id=no_email.pk)
    assert [error.field for error in refused.value.errors] == ["contact"]
    with pytest.raises(NotFound):
        quote_send(actor=org.actor(org.rep_n1), quote_id=quote.pk, version=fresh(quote).version, contact_id=contact_id)
    with pytest.raises(PermissionDenied):
        quote_send(actor=org.actor(org.finance), quote_id=quote.pk, version=fresh(quote).version, contact_id=contact_id)
    quote_send(actor=rep, quote_id=quote.pk, version=fresh(quote).version, contact_id=contact_id)
    with pytest.raises(QuoteLocked):
        quote_send(actor=rep, quote_id=quote.pk, version=fresh(quote).version, contact_id=contact_id)
    assert len(mail.outbox) == 1


def test_a_superseded_revision_cannot_be_sent(org: Org) -> None:
    quote, contact_id = _discounted_quote(org, "0")
    quote_new_revision(actor=org.actor(org.rep_a1), quote_id=quote.pk)

    with pytest.raises(QuoteLocked):
        quote_send(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=fresh(quote).version, contact_id=contact_id)


def test_the_customers_answer_is_recorded_on_a_sent_quote(org: Org) -> None:
    quote, contact_id = _discounted_quote(org, "0")
    rep = org.actor(org.rep_a1)
    with pytest.raises(QuoteLocked):
        quote_record_outcome(actor=rep, quote_id=quote.pk, version=quote.version, accepted=True)
    sent = quote_send(actor=rep, quote_id=quote.pk, version=quote.version, contact_id=contact_id)

    accepted = quote_record_outcome(actor=rep, quote_id=quote.pk, version=sent.version, accepted=True)

    assert accepted.status == QuoteStatus.ACCEPTED
    assert fresh(quote).total == Decimal("5300.00")


def test_approval_is_refused_when_nobody_manages_the_submitter(org: Org) -> None:
    # given a rep outside every team, with a discount above the limit
    loner = make_user("rep_free", BuiltinRole.SALES_REP, None, full_name="周婷")
    quote = a_quote(a_deal(loner))
    a_line(quote, discount_percent="15")

    # when they ask for approval
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
        quote_request_approval(actor=org.actor(loner), quote_id=quote.pk, version=fresh(quote).version)

    # then they are told why, and nothing changed
    assert refused.value.message == "你的团队没有主管，无人可以审批此折扣。"
    assert fresh(quote).status == QuoteStatus.DRAFT
    assert not Notification.objects.exists()
