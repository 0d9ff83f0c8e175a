"""Navigation entries for the base layout; what a user may open is decided here, not in templates."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core.actors import web_actor
from crm.customers.duplicates.scan_runs import offers_scan
from crm.identity.rights import can_manage_org, can_view_audit


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    actor = web_actor(user)
    items = [
        {"url": reverse("web:home"), "label": _("Home"), "icon": "home", "key": "home"},
        {"url": reverse("leads:list"), "label": _("Leads"), "icon": "inbox", "key": "leads"},
        {"url": reverse("customers:list"), "label": _("Customers"), "icon": "building", "key": "customers"},
        {"url": reverse("contacts:list"), "label": _("Contacts"), "icon": "user", "key": "contacts"},
        {"url": reverse("deals:board"), "label": _("Deals"), "icon": "briefcase", "key": "deals"},
        {"url": reverse("contracts:list"), "label": _("Contracts"), "icon": "contract", "key": "contracts"},
        {"url": reverse("payments:list"), "label": _("Payments"), "icon": "wallet", "key": "payments"},
        {"url": reverse("tasks:list"), "label": _("Tasks"), "icon": "check", "key": "tasks"},
        {
            "url": reverse("approvals:queue"),
            "label": _("Approvals"),
            "icon": "stamp",
            "key": "approvals",
            # The count loads with htmx, so pages do not pay for the queue query.
            "badge_url": reverse("approvals:badge"),
        },
        {"url": reverse("imports:list"), "label": _("Imports"), "icon": "upload", "key": "imports"},
        {"url": reverse("web:trash"), "label": _("Recycle bin"), "icon": "trash", "key": "trash"},
    ]
    admin_items = []
    if can_manage_org(actor):
        admin_items += [
            {"url": reverse("identity:users"), "label": _("Users"), "icon": "users", "key": "users"},
            {"url": reverse("identity:teams"), "label": _("Teams"), "icon": "tree", "key": "teams"},
            {"url": reverse("identity:roles"), "label": _("Roles"), "icon": "shield", "key": "roles"},
            {
                "url": reverse("leads:rules:settings"),
                "label": _("Lead settings"),
                "icon": "sliders",
                "key": "lead_rules",
            },
            {
                "url": reverse("customers:neglect_settings"),
                "label": _("Neglected customers"),
                "icon": "sliders",
                "key": "neglect_settings",
            },
            {"url": reverse("deals:pipelines"), "label": _("Pipelines"), "icon": "funnel", "key": "pipelines"},
            {"url": reverse("quotes:products"), "label": _("Product catalogue"), "icon": "box", "key": "products"},
            {
                "url": reverse("payments:settings"),
                "label": _("Payment settings"),
                "icon": "wallet",
                "key": "payment_settings",
            },
            {"url": reverse("approvals:flows"), "label": _("Approval flows"), "icon": "stamp", "key": "approval_flows"},
            {
                "url": reverse("contracts:settings"),
                "label": _("Contract settings"),
                "icon": "contract",
                "key": "contract_settings",
            },
        ]
    if offers_scan(actor):
        admin_items.append(
            {"url": reverse("customers:duplicate_scan"), "label": _("Duplicate scan"), "icon": "copy", "key": "dupes"}
        )
    if can_view_audit(actor):
        admin_items.append({"url": reverse("web:audit"), "label": _("Audit log"), "icon": "log", "key": "audit"})
    path = request.path
    active = next(
        (
            str(item["key"])
            # The longest matching address wins: /leads/settings/ is "Lead settings", not "Leads".
            for item in sorted([*items, *admin_items], key=lambda item: -len(str(item["url"])))
            if item["key"] != "home" and path.startswith(str(item["url"]))
        ),
        "home" if path == "/" else "",
    )
    return {"nav_items": items, "nav_admin_items": admin_items, "nav_active": active}
