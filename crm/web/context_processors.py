"""Navigation entries for the base layout; what a user may open is decided here, not in templates."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core.actors import web_actor
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
        {"url": reverse("web:trash"), "label": _("Recycle bin"), "icon": "trash", "key": "trash"},
    ]
    admin_items = []
    if can_manage_org(actor):
        admin_items += [
            {"url": reverse("identity:users"), "label": _("Users"), "icon": "users", "key": "users"},
            {"url": reverse("identity:teams"), "label": _("Teams"), "icon": "tree", "key": "teams"},
            {"url": reverse("identity:roles"), "label": _("Roles"), "icon": "shield", "key": "roles"},
        ]
    if can_view_audit(actor):
        admin_items.append({"url": reverse("web:audit"), "label": _("Audit log"), "icon": "log", "key": "audit"})
    path = request.path
    active = next(
        (
            str(item["key"])
            for item in [*items, *admin_items]
            if item["key"] != "home" and path.startswith(str(item["url"]))
        ),
        "home" if path == "/" else "",
    )
    return {"nav_items": items, "nav_admin_items": admin_items, "nav_active": active}
