"""The organisation's payment settings, changed by administrators only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from crm.audit.services import save_versioned, snapshot
from crm.core.actors import Actor
from crm.core.errors import PermissionDenied
from crm.identity.rights import can_manage_org
from crm.payments.models import PaymentSettings
from crm.payments.validation import clean_id, invalid

FIELDS = ["allow_invoice_over_contract", "manager_overdue_days"]
MAX_MANAGER_DAYS = 365


def payment_settings_update(*, actor: Actor, version: int, values: Mapping[str, Any]) -> PaymentSettings:
    """Whether invoices may exceed the contract amount, and after how many overdue days managers are told."""
    if not can_manage_org(actor):
        raise PermissionDenied(_("Only administrators may change the payment settings."))
    days = clean_id("manager_overdue_days", values.get("manager_overdue_days"))
    if days > MAX_MANAGER_DAYS:
        raise invalid("manager_overdue_days", _("Enter a value of at most %(limit)s.") % {"limit": MAX_MANAGER_DAYS})
    with transaction.atomic():
        settings, _created = PaymentSettings.objects.get_or_create(pk=1)
        before = snapshot(settings, FIELDS)
        settings.allow_invoice_over_contract = bool(values.get("allow_invoice_over_contract"))
        settings.manager_overdue_days = days
        save_versioned(
            actor=actor, instance=settings, expected_version=version, before=before, after=snapshot(settings, FIELDS)
        )
    return settings
