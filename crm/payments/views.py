"""Payment screens: the contract's payments panel (plan, payments, invoices), the payments and instalments
lists, the receivables report, the customer summary card and the settings page."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.contracts.models import Contract
from crm.core import clock
from crm.core.actors import Actor, web_actor
from crm.core.errors import DomainError, NotFound
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.core.params import date_param, int_param
from crm.customers.exporting import export_response
from crm.identity.rights import can_export, can_manage_org
from crm.identity.selectors import team_list, user_list
from crm.payments import selectors
from crm.payments.ageing import BUCKETS
from crm.payments.models import InvoiceKind, PaymentMethod
from crm.payments.presentation import PAYMENT_COLUMNS
from crm.payments.services.collection import payment_record, payment_reverse
from crm.payments.services.configuration import payment_settings_update
from crm.payments.services.invoicing import invoice_issue, invoice_void
from crm.payments.services.plans import payment_plan_set
from crm.payments.validation import invalid

PAGE_SIZE = 25


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


# The contract's panel --------------------------------------------------------------------------


def _blank_row(contract: Contract) -> dict[str, str]:
    """A new plan starts as one instalment of the whole amount."""
    return {"id": "", "amount": str(contract.amount), "due_on": "", "note": ""}


def _panel_context(
    actor: Actor, contract: Contract, *, errors: dict[str, Any] | None = None, posted: dict[str, Any] | None = None
) -> dict[str, Any]:
    today = clock.today()
    instalments = selectors.instalments_of(contract_id=contract.pk)
    payments = selectors.payments_of(contract_id=contract.pk)
    allocations = selectors.allocations_of(payment_ids=[payment.pk for payment in payments])
    plan = selectors.plan_of(contract_id=contract.pk)
    posted = posted or {}
    plan_rows = posted.get("plan_rows") or [
        {"id": item.pk, "amount": str(item.amount), "due_on": item.due_on.isoformat(), "note": item.note}
        for item in instalments
    ]
    return {
        "contract": contract,
        "today": today,
        "totals": selectors.contract_totals(contract=contract, today=today),
        "instalments": instalments,
        "open_instalments": [item for item in instalments if item.outstanding > 0],
        "payments": [(payment, allocations.get(payment.pk, [])) for payment in payments],
        "invoices": selectors.invoices_of(contract_id=contract.pk),
        "plan_version": plan.version if plan else 0,
        "plan_rows_json": json.dumps(
            plan_rows or [{"id": "", "amount": str(contract.amount), "due_on": "", "note": ""}]
        ),
        "may_collect": selectors.may_collect(actor, contract),
        "collectable": contract.status in selectors.COLLECTABLE_STATUSES,
        "methods": PaymentMethod.choices,
        "invoice_kinds": InvoiceKind.choices,
        "errors": errors or {},
        "posted": posted,
    }


def _render_panel(request: HttpRequest, actor: Actor, contract: Contract, **extra: Any) -> HttpResponse:
    context = _panel_context(actor, contract, **extra)
    if is_htmx(request):
        return render(request, "payments/contract_panel.html", context)
    return render(request, "payments/contract_page.html", context)


@login_required
@require_GET
def contract_panel_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The payments panel the contract page loads with htmx (or, opened directly, a page of its own)."""
    actor = web_actor(request.user)
    try:
        contract = selectors.contract_get(viewer=actor, contract_id=contract_id)
    except NotFound:
        return _not_found(request)
    return _render_panel(request, actor, contract)


def _field_labels() -> dict[str, str]:
    """What each field the ledger services name is called on the panel."""
    return {
        "amount": _("Amount"),
        "received_on": _("Received on"),
        "method": _("Payment method"),
        "reference": _("Reference"),
        "note": _("Note"),
        "allocations": _("Allocated to"),
        "instalments": _("Payment plan"),
        "due_on": _("Due date"),
        "kind": _("Invoice type"),
        "number": _("Invoice number"),
        "issued_on": _("Issued on"),
        "title": _("Invoice title"),
        "tax_id": _("Taxpayer ID"),
        "reason": _("Reason"),
    }


def _field_label(field: str, labels: dict[str, str]) -> str | None:
    """`instalments.2.due_on` reads as "Instalment 2 · Due date": a row's message alone would not say which row.
    None for what is not a field on the panel (the contract itself)."""
    parts = field.split(".")
    if len(parts) == 3 and parts[0] == "instalments" and parts[1].isdigit() and parts[2] in labels:
        return _("Instalment %(number)s · %(field)s") % {"number": parts[1], "field": labels[parts[2]]}
    return labels.get(field)


def _error_dict(section: str, exc: DomainError) -> dict[str, Any]:
    """The section's error: its message, and each field's own message prefixed with the field's name."""
    labels = _field_labels()
    message = exc.message
    problems: list[str] = []
    for item in exc.errors:
        label = _field_label(item.field, labels)
        labelled = (
            item.message if label is None else _("%(field)s: %(problem)s") % {"field": label, "problem": item.message}
        )
        if item.message == exc.message:
            # A refusal about one field ("This field is required.") says which field in the headline.
            message = labelled
        else:
            problems.append(labelled)
    return {section: {"message": message, "problems": problems}}


def _after_write(
    request: HttpRequest, actor: Actor, contract_id: int, section: str, exc: DomainError | None, posted: dict[str, Any]
) -> HttpResponse:
    try:
        contract = selectors.contract_get(viewer=actor, contract_id=contract_id)
    except NotFound:
        return _not_found(request)
    if exc is not None:
        status = 404 if isinstance(exc, NotFound) else 200
        response = _render_panel(request, actor, contract, errors=_error_dict(section, exc), posted=posted)
        response.status_code = status
        return response
    if not is_htmx(request):
        return redirect("payments:contract_panel", contract_id=contract_id)
    return _render_panel(request, actor, contract)


@login_required
@require_POST
def plan_save_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    post = request.POST
    rows = [
        {"id": pk, "amount": amount, "due_on": due_on, "note": note}
        for pk, amount, due_on, note in zip(
            post.getlist("instalment_id"),
            post.getlist("instalment_amount"),
            post.getlist("instalment_due_on"),
            post.getlist("instalment_note"),
            strict=False,
        )
        if amount.strip() or due_on.strip() or pk.strip()
    ]
    error: DomainError | None = None
    try:
        payment_plan_set(
            actor=actor, contract_id=contract_id, version=int_param(post.get("version")) or 0, instalments=rows
        )
    except DomainError as exc:
        error = exc
    return _after_write(request, actor, contract_id, "plan", error, {"plan_rows": rows})


@login_required
@require_POST
def payment_create_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    post = request.POST
    values = {name: post.get(name, "") for name in ("amount", "received_on", "method", "reference", "note")}
    allocations: dict[str, str] | None = None
    error: DomainError | None = None
    if post.get("allocation_mode") == "explicit":
        allocations = {
            key.removeprefix("allocate_"): str(value)
            for key, value in post.items()
            if key.startswith("allocate_") and value
        }
        if not allocations:
            error = invalid("allocations", _("Enter how much of the payment goes to each instalment."))
    if error is None:
        try:
            payment_record(actor=actor, contract_id=contract_id, values=values, allocations=allocations)
        except DomainError as exc:
            error = exc
    return _after_write(request, actor, contract_id, "payment", error, {"payment": dict(post.items())})


@login_required
@require_POST
def payment_reverse_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        payment = selectors.payment_get(viewer=actor, payment_id=payment_id)
    except NotFound:
        return _not_found(request)
    error: DomainError | None = None
    try:
        payment_reverse(actor=actor, payment_id=payment_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        error = exc
    return _after_write(request, actor, payment.contract_id, "reverse", error, {"reverse_id": payment_id})


@login_required
@require_POST
def invoice_create_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    fields = ("kind", "number", "amount", "issued_on", "title", "tax_id", "note")
    values = {name: request.POST.get(name, "") for name in fields}
    error: DomainError | None = None
    try:
        invoice_issue(actor=actor, contract_id=contract_id, values=values)
    except DomainError as exc:
        error = exc
    return _after_write(request, actor, contract_id, "invoice", error, {"invoice": values})


@login_required
@require_POST
def invoice_void_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        invoice = selectors.invoice_get(viewer=actor, invoice_id=invoice_id)
    except NotFound:
        return _not_found(request)
    error: DomainError | None = None
    try:
        invoice_void(actor=actor, invoice_id=invoice_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        error = exc
    return _after_write(request, actor, invoice.contract_id, "void", error, {"void_id": invoice_id})


# Lists -----------------------------------------------------------------------------------------


def _payment_filters(request: HttpRequest) -> selectors.PaymentFilters:
    get = request.GET
    method = get.get("method", "")
    return selectors.PaymentFilters(
        received_from=date_param(get.get("received_from")),
        received_to=date_param(get.get("received_to")),
        method=method if method in PaymentMethod.values else "",
        owner_id=int_param(get.get("owner")),
        team_id=int_param(get.get("team")),
        customer_id=int_param(get.get("customer")),
        contract_id=int_param(get.get("contract")),
        overdue=get.get("overdue") == "1",
    )


def _people() -> dict[str, Any]:
    return {"owners": list(user_list(include_inactive=False)), "teams": list(team_list())}


@login_required
@require_GET
def payment_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    filters = _payment_filters(request)
    try:
        page = selectors.payment_page(viewer=actor, filters=filters, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:
        return redirect("payments:list")
    context = {
        "page": page,
        "filters": filters,
        "methods": PaymentMethod.choices,
        "may_export": can_export(actor),
        "tab": "payments",
        **_people(),
    }
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "payments/payment_list.html#rows", context)
    return render(request, "payments/payment_list.html", context)


@login_required
def payment_export_view(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    actor = web_actor(request.user)
    if not can_export(actor):
        return render(request, "web/forbidden.html", status=403)
    filters = _payment_filters(request)
    return export_response(
        actor=actor,
        object_type="payments.payment",
        file_stem="payments",
        file_format="csv",
        columns=PAYMENT_COLUMNS,
        records=selectors.payment_export_rows(viewer=actor, filters=filters),
        filters=filters.as_params(),
    )


@login_required
@require_GET
def instalment_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    get = request.GET
    filters = selectors.InstalmentFilters(
        owner_id=int_param(get.get("owner")),
        team_id=int_param(get.get("team")),
        customer_id=int_param(get.get("customer")),
        overdue=get.get("overdue") == "1",
        open_only=get.get("open") == "1",
        due_from=date_param(get.get("due_from")),
        due_to=date_param(get.get("due_to")),
    )
    try:
        page = selectors.instalment_page(viewer=actor, filters=filters, cursor=get.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:
        return redirect("payments:instalments")
    context = {"page": page, "filters": filters, "today": clock.today(), "tab": "instalments", **_people()}
    if is_htmx(request) and get.get("cursor"):
        return render(request, "payments/instalment_list.html#rows", context)
    return render(request, "payments/instalment_list.html", context)


@login_required
@require_GET
def receivables_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    get = request.GET
    group_by = get.get("group_by", "owner")
    filters = selectors.ReceivableFilters(
        owner_id=int_param(get.get("owner")),
        team_id=int_param(get.get("team")),
        customer_id=int_param(get.get("customer")),
        group_by=group_by if group_by in selectors.GROUPS else "owner",
    )
    report = selectors.receivables(viewer=actor, filters=filters)
    context = {
        "report": report,
        "filters": filters,
        "buckets": BUCKETS,
        "ageing": list(zip(BUCKETS, report.total.bucket_values, strict=True)),
        "groupings": [
            ("owner", _("Owner")),
            ("team", _("Team")),
            ("customer", _("Customer")),
            ("contract", _("Contract")),
        ],
        "tab": "receivables",
        **_people(),
    }
    return render(request, "payments/receivables.html", context)


# The customer page -----------------------------------------------------------------------------


@login_required
@require_GET
def customer_summary_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer page's card: what the customer's contracts are worth, what is paid, what is due."""
    actor = web_actor(request.user)
    summary = selectors.customer_summary(viewer=actor, customer_id=customer_id)
    return render(
        request,
        "payments/customer_summary.html",
        {"summary": summary, "customer_id": customer_id, "today": clock.today()},
    )


# Settings --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return render(request, "web/forbidden.html", status=403)
    current = selectors.settings_get()
    error: DomainError | None = None
    if request.method == "POST":
        try:
            payment_settings_update(
                actor=actor,
                version=int_param(request.POST.get("version")) or 0,
                values={
                    "allow_invoice_over_contract": request.POST.get("allow_invoice_over_contract") == "on",
                    "manager_overdue_days": request.POST.get("manager_overdue_days"),
                },
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, _("Payment settings saved."))
            return redirect("payments:settings")
    fields = {item.field: item.message for item in error.errors} if error else {}
    return render(
        request,
        "payments/settings.html",
        {"settings": current, "error": error, "field_errors": fields, "posted": request.POST},
    )
