"""Discount approval through the approval engine, and sending: every refusal path, the notices, the email
with its PDF and the follow-up."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.utils import translation

from conftest import Org, make_user
from crm.activities.models import Activity
from crm.approvals.models import ApprovalFlow, ApprovalRequest, ApproverKind, RequestStatus, StepStatus
from crm.approvals.selectors import approval_open_for
from crm.approvals.services import (
    approval_approve,
    approval_reject,
    approval_return,
    approval_withdraw,
    flow_save,
    flow_step_add,
)
from crm.audit.models import AuditEntry, Verb
from crm.core.errors import NotFound, PermissionDenied, ValidationFailed
from crm.customers.services import contact_create
from crm.customers.tests.factories import a_customer
from crm.deals.models import Deal
from crm.deals.tests.factories import a_deal
from crm.identity.models import BuiltinRole, User
from crm.notifications.models import Notification, NotificationKind
from crm.quotes.approval import quote_apply_decision, quote_decide, quote_facts, quote_request_approval
from crm.quotes.errors import ApprovalNotAllowed, ApprovalRequired, QuoteLocked, QuoteNotSendable
from crm.quotes.models import Quote, QuoteStatus
from crm.quotes.selectors import quote_get, quote_sent_since
from crm.quotes.sending import quote_send
from crm.quotes.services import quote_line_update, quote_new_revision, quote_record_outcome
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


def _pending(org: Org, discount: str = "15") -> tuple[Quote, int, ApprovalRequest]:
    """rep_a1's quote above the limit, submitted for approval."""
    quote, contact_id = _discounted_quote(org, discount)
    quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)
    request = approval_open_for("quote", quote.pk)
    assert request is not None
    return fresh(quote), contact_id, request


def test_the_default_flow_is_the_submitters_manager_when_above_the_limit(org: Org) -> None:
    # given the flow the migration seeded
    flow = ApprovalFlow.objects.get(kind="quote")

    # then it has one step: the submitter's manager, when a discount is above the submitter's limit
    steps = list(flow.steps.values_list("approver_kind", "conditions"))
    assert flow.is_active is True
    assert steps == [(ApproverKind.MANAGER, [{"fact": "above_limit", "op": "eq", "value": "true"}])]


def test_facts_measure_the_discount_against_the_submitters_own_limit(org: Org) -> None:
    # given an 18% line: above a rep's 10% line limit, within a sales manager's 20%
    quote, _contact = _discounted_quote(org, "18")
    quote.approval_requested_by = org.rep_a1
    rep_facts = dict(quote_facts(quote))
    quote.approval_requested_by = org.east_a_manager

    # then
    assert rep_facts == {
        "discount_percent": Decimal("0.00"),
        "max_line_discount": Decimal("18.00"),
        "total": quote.total,
        "currency": "CNY",
        "customer_grade": quote.deal.customer.grade,
        "above_limit": True,
    }
    assert quote_facts(quote)["above_limit"] is False


def test_request_approval_locks_the_quote_and_asks_the_team_manager(org: Org) -> None:
    # when the rep submits a 15% line (above the rep's 10%)
    quote, _contact, request = _pending(org)

    # then the quote waits, the engine runs one step for the team manager, who is notified
    assert (quote.status, quote.approval_requested_by) == (QuoteStatus.PENDING_APPROVAL, org.rep_a1)
    assert (request.submitter, request.flow_name, request.facts["above_limit"]) == (org.rep_a1, "报价折扣审批", True)
    step = request.steps.get()
    assert step.status == StepStatus.PENDING
    assert [assignee.user for assignee in step.assignees.all()] == [org.east_a_manager]
    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind, notice.url) == (
        org.east_a_manager,
        NotificationKind.APPROVAL_REQUESTED,
        f"/quotes/{quote.pk}/",
    )
    assert notice.title == f"待您审批：报价单 {quote.label} {quote.deal.name}"


def test_approved_quote_can_be_sent_and_the_decision_is_audited_and_notified(org: Org) -> None:
    # given a pending approval
    quote, contact_id, request = _pending(org)

    # when the team manager approves it in the engine (the queue or the panel)
    approval_approve(org.actor(org.east_a_manager), request.pk, comment="战略客户，同意")

    # then the quote is approved, audited, the rep is told, and it can go out
    approved = fresh(quote)
    assert (approved.status, approved.approval_decided_by, approved.approval_comment) == (
        QuoteStatus.APPROVED,
        org.east_a_manager,
        "战略客户，同意",
    )
    entry = AuditEntry.objects.filter(target_type="quotes.quote", target_id=quote.pk, verb=Verb.UPDATE).first()
    assert entry is not None
    assert entry.changes["status"] == ["pending_approval", "approved"]
    assert Notification.objects.filter(recipient=org.rep_a1, kind=NotificationKind.APPROVAL_DECIDED).count() == 1
    sent = quote_send(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=approved.version, contact_id=contact_id)
    assert sent.status == QuoteStatus.SENT


def test_a_rejected_quote_cannot_be_sent_until_changed(org: Org) -> None:
    quote, contact_id, request = _pending(org)

    approval_reject(org.actor(org.east_a_manager), request.pk, comment="折扣过高")

    rejected = fresh(quote)
    assert (rejected.status, rejected.approval_comment) == (QuoteStatus.REJECTED, "折扣过高")
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


def test_a_rejected_quote_may_be_submitted_again(org: Org) -> None:
    quote, _contact, request = _pending(org)
    approval_reject(org.actor(org.east_a_manager), request.pk, comment="折扣过高")

    again = quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=fresh(quote).version)

    assert (again.status, again.approval_comment) == (QuoteStatus.PENDING_APPROVAL, "")
    assert ApprovalRequest.objects.filter(kind="quote", target_id=quote.pk).count() == 2


def test_returned_and_withdrawn_quotes_go_back_to_draft(org: Org) -> None:
    # given two pending quotes on one deal
    returned, _contact, first = _pending(org)
    withdrawn = a_quote(returned.deal)
    a_line(withdrawn, discount_percent="15")
    quote_request_approval(actor=org.actor(org.rep_a1), quote_id=withdrawn.pk, version=fresh(withdrawn).version)
    second = approval_open_for("quote", withdrawn.pk)
    assert second is not None

    # when the manager returns one and the rep withdraws the other
    approval_return(org.actor(org.east_a_manager), first.pk, comment="请拆分实施服务")
    approval_withdraw(org.actor(org.rep_a1), second.pk)

    # then both are editable drafts again, the return keeping what to change
    assert (fresh(returned).status, fresh(returned).approval_comment) == (QuoteStatus.DRAFT, "请拆分实施服务")
    assert (fresh(withdrawn).status, fresh(withdrawn).approval_decided_by) == (QuoteStatus.DRAFT, org.rep_a1)


def test_rejecting_needs_a_reason(org: Org) -> None:
    quote, _contact, request = _pending(org)

    with pytest.raises(ValidationFailed) as refused:
        approval_reject(org.actor(org.east_a_manager), request.pk, comment=" ")

    assert [error.field for error in refused.value.errors] == ["comment"]
    assert fresh(quote).status == QuoteStatus.PENDING_APPROVAL


def test_a_pending_quote_can_neither_be_sent_nor_edited_nor_requested_again(org: Org) -> None:
    quote, contact_id, _request = _pending(org)
    rep = org.actor(org.rep_a1)

    with pytest.raises(ApprovalRequired):
        quote_send(actor=rep, quote_id=quote.pk, version=quote.version, contact_id=contact_id)
    with pytest.raises(QuoteLocked):
        quote_line_update(
            actor=rep,
            quote_id=quote.pk,
            line_id=quote.lines.get().pk,
            version=quote.version,
            values={"quantity": "2"},
        )
    with pytest.raises(QuoteLocked):
        quote_request_approval(actor=rep, quote_id=quote.pk, version=quote.version)


def test_approval_is_refused_when_no_discount_exceeds_the_limit(org: Org) -> None:
    quote, _contact = _discounted_quote(org, "5")

    with pytest.raises(ValidationFailed):
        quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)

    assert not ApprovalRequest.objects.exists()


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
    quote_request_approval(actor=manager, quote_id=quote.pk, version=fresh(quote).version)
    request = approval_open_for("quote", quote.pk)
    assert request is not None

    # then the requester cannot approve it, a rep cannot even see it, and the manager above can
    with pytest.raises(PermissionDenied):
        approval_approve(manager, request.pk)
    with pytest.raises(NotFound):
        approval_approve(org.actor(org.rep_a2), request.pk)
    assert Notification.objects.get().recipient == org.east_manager
    approval_approve(org.actor(org.east_manager), request.pk)
    assert fresh(quote).status == QuoteStatus.APPROVED


def test_an_approver_outside_the_deals_team_may_open_the_quote(org: Org) -> None:
    # given an administrator adds a named approver from another region to the quote flow
    flow_step_add(
        org.actor(org.admin),
        kind="quote",
        values={"name": "华北复核", "approver_kind": ApproverKind.USER, "approver_user_id": org.rep_n1.pk},
    )
    quote, _contact = _discounted_quote(org)
    with pytest.raises(NotFound):
        quote_get(viewer=org.actor(org.rep_n1), quote_id=quote.pk)
    quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)

    # then the approver may read the quote, but not change it
    seen = quote_get(viewer=org.actor(org.rep_n1), quote_id=quote.pk)
    assert seen.deal.pk == quote.deal_id
    with pytest.raises(NotFound):
        quote_get(viewer=org.actor(org.rep_b1), quote_id=quote.pk)


def test_a_flow_switched_off_approves_at_once(org: Org) -> None:
    # given an administrator switched the quote flow off
    flow_save(org.actor(org.admin), kind="quote", name="报价折扣审批", is_active=False)
    quote, contact_id = _discounted_quote(org)

    # when the rep submits the quote
    approved = quote_request_approval(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version)

    # then it is approved at once by nobody in particular, and may be sent
    assert (approved.status, approved.approval_decided_by) == (QuoteStatus.APPROVED, None)
    assert ApprovalRequest.objects.get(kind="quote", target_id=quote.pk).status == RequestStatus.APPROVED
    quote_send(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=approved.version, contact_id=contact_id)
    assert fresh(quote).status == QuoteStatus.SENT


def test_deciding_on_the_quote_itself_delegates_to_the_engine(org: Org) -> None:
    # given a pending quote
    quote, _contact, request = _pending(org)

    # then a rep may not decide, a stale version conflicts, and the manager's rejection ends the approval
    with pytest.raises(ApprovalNotAllowed):
        quote_decide(actor=org.actor(org.rep_a1), quote_id=quote.pk, version=quote.version, approved=True)
    rejected = quote_decide(
        actor=org.actor(org.east_a_manager), quote_id=quote.pk, version=quote.version, approved=False, comment="太低"
    )
    assert (rejected.status, rejected.approval_comment) == (QuoteStatus.REJECTED, "太低")
    assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.REJECTED
    with pytest.raises(ApprovalNotAllowed):
        quote_decide(actor=org.actor(org.east_a_manager), quote_id=quote.pk, version=rejected.version, approved=True)


def test_a_decision_arriving_twice_changes_nothing(org: Org) -> None:
    quote, _contact, request = _pending(org)
    approval_approve(org.actor(org.east_a_manager), request.pk)
    before = fresh(quote)

    again = quote_apply_decision(actor=org.actor(org.east_a_manager), quote_id=quote.pk, outcome="rejected")

    assert (again.status, again.version) == (QuoteStatus.APPROVED, before.version)


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

    # then they are told why (the flow's manager step has nobody to ask), and nothing changed
    assert "直属经理审批（折扣超出权限）" in refused.value.message
    assert fresh(quote).status == QuoteStatus.DRAFT
    assert not ApprovalRequest.objects.exists()
    assert not Notification.objects.exists()


def test_quotes_left_pending_by_the_former_mechanism_return_to_draft(org: Org) -> None:
    # given a quote marked pending without an approval in the engine, and one pending in the engine
    stranded, _contact = _discounted_quote(org)
    Quote.objects.filter(pk=stranded.pk).update(status=QuoteStatus.PENDING_APPROVAL)
    running = a_quote(stranded.deal)
    a_line(running, discount_percent="15")
    quote_request_approval(actor=org.actor(org.rep_a1), quote_id=running.pk, version=fresh(running).version)
    migration = importlib.import_module("crm.quotes.migrations.0004_return_legacy_pending_quotes_to_draft")

    # when the data migration runs
    migration.to_draft(apps, None)

    # then only the stranded one is a draft again, audited
    assert (fresh(stranded).status, fresh(stranded).version) == (QuoteStatus.DRAFT, stranded.version + 1)
    assert fresh(running).status == QuoteStatus.PENDING_APPROVAL
    entry = AuditEntry.objects.filter(target_type="quotes.quote", target_id=stranded.pk).first()
    assert entry is not None
    assert entry.changes == {"status": ["pending_approval", "draft"]}
