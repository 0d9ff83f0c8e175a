"""Contract screens: the list with export, the detail page, forms, files, the PDF, settings and templates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.approvals.models import RequestStatus, StepStatus
from crm.audit.labels import field_label, model_of, related_names, value_label
from crm.contracts import selectors, services
from crm.contracts.errors import TemplateRenderFailed
from crm.contracts.forms import AttachmentForm, ContractForm, ContractLineForm, SettingsForm, TemplateForm
from crm.contracts.models import Contract, ContractStatus
from crm.contracts.pdf import contract_pdf, pdf_filename
from crm.contracts.presentation import CONTRACT_COLUMNS, STATUS_BADGES
from crm.contracts.rendering import default_template_body
from crm.core import clock
from crm.core.actors import Actor, web_actor
from crm.core.errors import Conflict, DomainError, NotFound, apply_to_form
from crm.core.htmx import is_htmx
from crm.core.pagination import InvalidCursor
from crm.core.params import date_param, int_param
from crm.customers.exporting import export_response
from crm.customers.selectors import customer_choices
from crm.deals.models import StageKind
from crm.deals.selectors import deal_get, deal_may_change
from crm.identity.rights import can_export, can_manage_org
from crm.identity.selectors import team_list, user_list
from crm.quotes.selectors import product_choices

PAGE_SIZE = 25


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/not_found.html", status=404)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/forbidden.html", status=403)


def _detail_redirect(contract_id: int) -> HttpResponse:
    return redirect("contracts:detail", contract_id=contract_id)


def _error_message(request: HttpRequest, exc: DomainError) -> None:
    messages.error(
        request, " ".join([exc.message, *[f"• {e.message}" for e in exc.errors if e.message != exc.message]])
    )


# The list ----------------------------------------------------------------------------------------


def _filters_from(request: HttpRequest) -> selectors.ContractFilters:
    get = request.GET
    status = get.get("status", "")
    sort = get.get("sort", "")
    ending = int_param(get.get("ending_within"))
    return selectors.ContractFilters(
        q=get.get("q", "").strip()[:100],
        status=status if status in ContractStatus.values else "",
        owner_id=int_param(get.get("owner")),
        team_id=int_param(get.get("team")),
        customer_id=int_param(get.get("customer")),
        signed_from=date_param(get.get("signed_from")),
        signed_to=date_param(get.get("signed_to")),
        ending_within=min(ending, 3650) if ending is not None and ending >= 0 else None,
        sort=sort if sort in selectors.SORTS else "",
    )


@login_required
@require_GET
def contract_list_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    filters = _filters_from(request)
    try:
        page = selectors.contract_page(viewer=actor, filters=filters, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:
        return redirect("contracts:list")
    context = {
        "page": page,
        "filters": filters,
        "owners": user_list(include_inactive=False),
        "teams": team_list(),
        "statuses": ContractStatus.choices,
        "badges": STATUS_BADGES,
        "may_export": can_export(actor),
        "may_manage": can_manage_org(actor),
        "sorts": [
            ("", _("Default order")),
            ("-created_at", _("Newest first")),
            ("-amount", _("Largest amount")),
            ("number", _("Number")),
            ("ends_on", _("Ending soonest")),
        ],
    }
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "contracts/contract_list.html#rows", context)
    return render(request, "contracts/contract_list.html", context)


@login_required
@require_GET
def contract_export_view(request: HttpRequest, file_format: str) -> HttpResponse | StreamingHttpResponse:
    actor = web_actor(request.user)
    if not can_export(actor):
        return _forbidden(request)
    filters = _filters_from(request)
    return export_response(
        actor=actor,
        object_type=selectors.CONTRACT_TYPE,
        file_stem="contracts",
        file_format=file_format,
        columns=CONTRACT_COLUMNS,
        records=selectors.contract_export_rows(viewer=actor, filters=filters),
        filters=filters.as_params(),
    )


# Panels on other pages -----------------------------------------------------------------------------


@login_required
@require_GET
def customer_panel_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The contracts card of a customer's page, loaded into it by htmx."""
    actor = web_actor(request.user)
    contracts = selectors.contracts_of_customer(viewer=actor, customer_id=customer_id)
    active = [c for c in contracts if c.status == ContractStatus.ACTIVE]
    totals: dict[str, Any] = {}
    for contract in active:
        totals[contract.currency] = totals.get(contract.currency, 0) + contract.amount
    return render(
        request,
        "contracts/customer_panel.html",
        {"contracts": contracts, "customer_id": customer_id, "badges": STATUS_BADGES, "active_totals": totals},
    )


@login_required
@require_GET
def deal_panel_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    """The contract card of a deal's page: its contract, or the button making one once the deal is won."""
    actor = web_actor(request.user)
    try:
        deal = deal_get(viewer=actor, deal_id=deal_id)
    except NotFound:
        return HttpResponse("")
    contracts = selectors.contracts_of_deal(viewer=actor, deal_id=deal.pk)
    is_won = deal.stage.kind == StageKind.WON
    may_create = is_won and deal_may_change(actor, deal) and selectors.contract_of_deal_exists(deal_id=deal.pk) is None
    return render(
        request,
        "contracts/deal_panel.html",
        {"deal": deal, "contracts": contracts, "is_won": is_won, "may_create": may_create, "badges": STATUS_BADGES},
    )


# Detail ------------------------------------------------------------------------------------------


def _panel_url(path: str) -> str:
    """`path` when some app serves it (the approvals and payments panels are optional), else ""."""
    try:
        resolve(path)
    except Resolver404:
        return ""
    return path


def _history(entries: list[Any]) -> list[dict[str, Any]]:
    extra = {
        "lines": _("Lines"),
        "attachments": _("Attachments"),
        "approval": _("Approval"),
        "approval_step": _("Approval step"),
        "comment": _("Comment"),
        "decision": _("Decision"),
        "by": _("Decided by"),
        "next_step": _("Next step"),
        "flow": _("Approval flow"),
    }
    # The approval engine records its outcomes by code; they read as the engine's own labels.
    outcomes = {"approval": dict(RequestStatus.choices), "decision": dict(StepStatus.choices)}

    def shown(model: Any, key: str, value: Any) -> Any:
        if key in outcomes and isinstance(value, str):
            return outcomes[key].get(value, value)
        return value_label(model, key, value, names)

    names = related_names((entry.target_type, entry.changes) for entry in entries)
    rows = []
    for entry in entries:
        model = model_of(entry.target_type)
        changes = [
            (str(extra.get(key) or field_label(model, key)), shown(model, key, old), shown(model, key, new))
            for key, old, new in entry.change_rows()
        ]
        rows.append({"entry": entry, "changes": changes})
    return rows


def _detail_context(actor: Actor, contract: Contract) -> dict[str, Any]:
    lines = selectors.contract_lines(contract=contract)
    may_change = selectors.contract_may_change(actor, contract)
    return {
        "contract": contract,
        "lines": lines,
        "lines_total": services.contract_amount_of_lines(lines),
        "attachments": selectors.contract_attachments(contract=contract),
        "history": _history(selectors.contract_history(contract=contract)),
        "may_change": may_change,
        "may_edit": may_change and contract.is_editable,
        "may_submit": may_change and contract.status == ContractStatus.DRAFT,
        "may_terminate": may_change and contract.status == ContractStatus.ACTIVE,
        "may_attach": may_change and contract.status in (ContractStatus.DRAFT, ContractStatus.ACTIVE),
        "badge": STATUS_BADGES.get(ContractStatus(contract.status), "badge-ghost"),
        "line_form": ContractLineForm(products=[(p.pk, f"{p.sku} {p.name}") for p in product_choices()]),
        "attachment_form": AttachmentForm(),
        "templates": selectors.template_list(include_inactive=False),
        "approval_panel_url": _panel_url(f"/approvals/panel/{selectors.APPROVAL_KIND}/{contract.pk}/"),
        "payments_panel_url": _panel_url(f"/payments/contract/{contract.pk}/panel/"),
        "today": clock.today(),
    }


@login_required
@require_GET
def contract_detail_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        contract = selectors.contract_get(viewer=actor, contract_id=contract_id)
    except NotFound:
        return _not_found(request)
    return render(request, "contracts/contract_detail.html", _detail_context(actor, contract))


@login_required
@require_GET
def contract_pdf_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        contract = selectors.contract_get(viewer=actor, contract_id=contract_id)
        pdf = contract_pdf(contract, template_id=int_param(request.GET.get("template")))
    except NotFound:
        return _not_found(request)
    except TemplateRenderFailed as exc:
        messages.error(request, exc.message)
        return _detail_redirect(contract_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(contract)}"'
    return response


# Forms -------------------------------------------------------------------------------------------


def _users() -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in user_list(include_inactive=False)]


def _values(form: ContractForm) -> dict[str, Any]:
    return {key: value for key, value in form.cleaned_data.items() if key != "version"}


@login_required
@require_http_methods(["GET", "POST"])
def contract_create_view(request: HttpRequest) -> HttpResponse:
    """A contract directly on a customer (contracts from a won deal start on the deal's page)."""
    actor = web_actor(request.user)
    customer_id = int_param(request.GET.get("customer"))
    customers = [(c.pk, c.name) for c in customer_choices(viewer=actor, q="", limit=200)]
    if customer_id and customer_id not in {pk for pk, _name in customers}:
        customers += [(c.pk, c.name) for c in customer_choices(viewer=actor, q="", limit=2000) if c.pk == customer_id]
    initial = {
        "owner_id": str(request.user.pk),
        "currency": "CNY",
        "customer_id": customer_id or "",
        "our_party": selectors.contract_settings_get().our_party,
    }
    form = ContractForm(request.POST or None, customers=customers, users=_users(), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(actor=actor, values=_values(form))
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Contract %(number)s has been created.") % {"number": contract.number})
            return _detail_redirect(contract.pk)
    return render(request, "contracts/contract_form.html", {"form": form, "contract": None})


@login_required
@require_POST
def contract_from_deal_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        contract = services.contract_create_from_deal(actor=actor, deal_id=deal_id)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        _error_message(request, exc)
        return redirect("deals:detail", deal_id=deal_id)
    messages.success(
        request,
        _("Contract %(number)s has been drafted from the deal. Check the dates and submit it for approval.")
        % {"number": contract.number},
    )
    return redirect("contracts:edit", contract_id=contract.pk)


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    actor = web_actor(request.user)
    try:
        contract = selectors.contract_get(viewer=actor, contract_id=contract_id)
    except NotFound:
        return _not_found(request)
    if not selectors.contract_may_change(actor, contract):
        return _forbidden(request)
    if not contract.is_editable:
        messages.error(request, _("Only a draft contract can be edited."))
        return _detail_redirect(contract.pk)
    initial = {
        "title": contract.title,
        "amount": contract.amount,
        "currency": contract.currency,
        "signed_on": contract.signed_on,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "our_party": contract.our_party,
        "customer_party": contract.customer_party,
        "owner_id": str(contract.owner_id),
        "notes": contract.notes,
        "version": contract.version,
    }
    form = ContractForm(request.POST or None, customers=[], users=_users(), editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(
                actor=actor,
                contract_id=contract.pk,
                version=form.cleaned_data.get("version") or 0,
                values=_values(form),
            )
        except Conflict as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Your changes have been saved."))
            return _detail_redirect(contract.pk)
    return render(request, "contracts/contract_form.html", {"form": form, "contract": contract})


def _post_action(request: HttpRequest, contract_id: int, action: Any, success: str) -> HttpResponse:
    """Run one service for a button on the detail page and come back to it with the answer."""
    try:
        action(web_actor(request.user))
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        _error_message(request, exc)
    else:
        if success:
            messages.success(request, success)
    return _detail_redirect(contract_id)


def _version(request: HttpRequest) -> int:
    return int_param(request.POST.get("version")) or 0


@login_required
@require_POST
def contract_submit_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    return _post_action(
        request,
        contract_id,
        lambda actor: services.contract_submit(actor=actor, contract_id=contract_id, version=_version(request)),
        _("The contract has been submitted for approval."),
    )


@login_required
@require_POST
def contract_terminate_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    return _post_action(
        request,
        contract_id,
        lambda actor: services.contract_terminate(
            actor=actor, contract_id=contract_id, version=_version(request), reason=request.POST.get("reason", "")
        ),
        _("The contract has been terminated."),
    )


@login_required
@require_POST
def contract_delete_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    try:
        contract = services.contract_delete(actor=web_actor(request.user), contract_id=contract_id)
    except NotFound:
        return _not_found(request)
    except DomainError as exc:
        _error_message(request, exc)
        return _detail_redirect(contract_id)
    messages.success(request, _("“%(name)s” is in the recycle bin.") % {"name": contract.number})
    return redirect("contracts:list")


@login_required
@require_POST
def contract_line_add_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    values = {name: request.POST.get(name, "") for name in ContractLineForm.base_fields}
    return _post_action(
        request,
        contract_id,
        lambda actor: services.contract_line_add(
            actor=actor, contract_id=contract_id, version=_version(request), values=values
        ),
        _("The line has been added."),
    )


@login_required
@require_POST
def contract_line_remove_view(request: HttpRequest, contract_id: int, line_id: int) -> HttpResponse:
    return _post_action(
        request,
        contract_id,
        lambda actor: services.contract_line_remove(
            actor=actor, contract_id=contract_id, version=_version(request), line_id=line_id
        ),
        _("The line has been removed."),
    )


# Attachments -------------------------------------------------------------------------------------


@login_required
@require_POST
def attachment_upload_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return _detail_redirect(contract_id)
    return _post_action(
        request,
        contract_id,
        lambda actor: services.attachment_add(actor=actor, contract_id=contract_id, upload=upload),
        _("The file has been added."),
    )


@login_required
@require_POST
def attachment_remove_view(request: HttpRequest, contract_id: int, attachment_id: int) -> HttpResponse:
    return _post_action(
        request,
        contract_id,
        lambda actor: services.attachment_remove(actor=actor, contract_id=contract_id, attachment_id=attachment_id),
        _("The file has been removed."),
    )


@login_required
@require_GET
def attachment_download_view(request: HttpRequest, contract_id: int, attachment_id: int) -> HttpResponse | FileResponse:
    """Files are never public: every download checks that the viewer may see the contract."""
    try:
        attachment = selectors.attachment_get(
            viewer=web_actor(request.user), contract_id=contract_id, attachment_id=attachment_id
        )
        handle = attachment.file.open("rb")
    except (NotFound, FileNotFoundError):
        return _not_found(request)
    response = FileResponse(handle, content_type=attachment.content_type, filename=attachment.file_name)
    response["Content-Disposition"] = response["Content-Disposition"].replace("inline", "attachment")
    return response


# Settings and templates (administrators) ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return _forbidden(request)
    current = selectors.contract_settings_get()
    initial = {
        "number_pattern": current.number_pattern,
        "renewal_notice_days": current.renewal_notice_days,
        "our_party": current.our_party,
        "version": current.version,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.contract_settings_update(actor=actor, version=form.cleaned_data.get("version") or 0, values=values)
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("The contract settings have been saved."))
            return redirect("contracts:settings")
    return render(
        request,
        "contracts/settings.html",
        {"form": form, "templates": selectors.template_list(), "nav_active": "contract_settings"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_edit_view(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    actor = web_actor(request.user)
    if not can_manage_org(actor):
        return _forbidden(request)
    template = None
    initial: dict[str, Any] = {"body": default_template_body(), "is_active": True}
    if template_id is not None:
        try:
            template = selectors.template_get(template_id=template_id)
        except NotFound:
            return _not_found(request)
        initial = {
            "name": template.name,
            "body": template.body,
            "is_default": template.is_default,
            "is_active": template.is_active,
            "version": template.version,
        }
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            if template is None:
                services.template_create(actor=actor, values=values)
            else:
                services.template_update(
                    actor=actor, template_id=template.pk, version=form.cleaned_data.get("version") or 0, values=values
                )
        except DomainError as exc:
            apply_to_form(exc, form)
        else:
            messages.success(request, _("Template “%(name)s” has been saved.") % {"name": values["name"]})
            return redirect("contracts:settings")
    return render(
        request,
        "contracts/template_form.html",
        {"form": form, "template": template, "nav_active": "contract_settings"},
    )
