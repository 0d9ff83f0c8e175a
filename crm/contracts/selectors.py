"""Every read of contracts: the visibility rule (owner/team, the finance role, approvers), lists and pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from crm.access.visibility import can_change, scope_of
from crm.approvals.selectors import may_view_target
from crm.audit.models import AuditEntry
from crm.audit.selectors import history_of
from crm.contracts.models import (
    Contract,
    ContractAttachment,
    ContractLine,
    ContractSettings,
    ContractStatus,
    ContractTemplate,
)
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import NotFound
from crm.core.pagination import Page, SortKey, paginate
from crm.identity.models import BuiltinRole
from crm.identity.rights import role_of, user_of
from crm.identity.selectors import team_subtree_ids
from crm.quotes.models import Quote, QuoteStatus

SORTS: dict[str, SortKey] = {
    "-created_at": SortKey("created_at", descending=True),
    "-amount": SortKey("amount", descending=True),
    "number": SortKey("number", descending=False),
    "ends_on": SortKey("ends_on", descending=False),
}
DEFAULT_SORT = "-created_at"
# "Ending within N days" lists what to renew first, and reads the active contracts' end-date index in order
# instead of sorting every active contract that ends soon by creation.
ENDING_SORT = "ends_on"
EXPORT_LIMIT = 100_000
CONTRACT_TYPE = "contracts.contract"
APPROVAL_KIND = "contract"


# Visibility ------------------------------------------------------------------------------------


def sees_all_contracts(viewer: Actor) -> bool:
    """Finance keeps the books for every contract, whatever its role's record visibility says."""
    role = role_of(viewer)
    return role is not None and role.code == BuiltinRole.FINANCE


def contract_visibility_q(viewer: Actor) -> Q:
    """Contracts the viewer sees in lists: the owner/team rule of every record, or all for finance."""
    if sees_all_contracts(viewer):
        return Q()
    return scope_of(viewer).q()


def visible_contracts(viewer: Actor, queryset: QuerySet[Contract]) -> QuerySet[Contract]:
    return queryset.filter(contract_visibility_q(viewer))


def _is_approver(viewer: Actor, contract: Contract) -> bool:
    # The people asked to approve a contract must read it even where visibility would hide it.
    user = user_of(viewer)
    return user is not None and may_view_target(user, APPROVAL_KIND, contract.pk)


def contract_in_scope(viewer: Actor, contract: Contract) -> bool:
    """The list rule for one contract in memory: finance, or the owner/team rule."""
    return sees_all_contracts(viewer) or scope_of(viewer).allows(contract.owner_id, contract.team_id)


def contract_may_see(viewer: Actor, contract: Contract) -> bool:
    """The list rule, or being part of one of the contract's approvals."""
    return contract_in_scope(viewer, contract) or _is_approver(viewer, contract)


def contract_may_change(actor: Actor, contract: Contract) -> bool:
    """Owners, their team managers and roles that edit what they see; finance and approvers only read."""
    return can_change(actor, contract)


# Settings and templates ------------------------------------------------------------------------


def contract_settings_get() -> ContractSettings:
    """The one settings row (defaults until an administrator saves it)."""
    settings = ContractSettings.objects.order_by("pk").first()
    return settings if settings is not None else ContractSettings()


def template_list(*, include_inactive: bool = True) -> list[ContractTemplate]:
    templates = ContractTemplate.objects.all()
    if not include_inactive:
        templates = templates.filter(is_active=True)
    return list(templates.order_by("-is_default", "name", "id"))


def template_get(*, template_id: int) -> ContractTemplate:
    template = ContractTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    return template


def template_for_pdf(*, template_id: int | None) -> ContractTemplate | None:
    """The chosen active template, else the default one, else None (the built-in text is used)."""
    templates = ContractTemplate.objects.filter(is_active=True)
    if template_id:
        chosen = templates.filter(pk=template_id).first()
        if chosen is not None:
            return chosen
    return templates.order_by("-is_default", "name", "id").first()


# Contracts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractFilters:
    q: str = ""
    status: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    deal_id: int | None = None
    signed_from: dt.date | None = None
    signed_to: dt.date | None = None
    ending_within: int | None = None  # days from today, active contracts only
    sort: str = ""  # one of SORTS; empty: the filters' default (see sort_in_force)

    @property
    def sort_in_force(self) -> str:
        """The requested sort, else soonest end first when listing contracts ending soon, else newest first."""
        if self.sort in SORTS:
            return self.sort
        return ENDING_SORT if self.ending_within is not None else DEFAULT_SORT

    def as_params(self) -> dict[str, Any]:
        return {key: str(value) for key, value in self.__dict__.items() if value not in (None, "")}


def contract_list(*, viewer: Actor, filters: ContractFilters) -> QuerySet[Contract]:
    """Contracts `viewer` may see that match `filters` (unordered; paginate or export it)."""
    contracts = visible_contracts(viewer, Contract.objects.all())
    if filters.status in ContractStatus.values:
        contracts = contracts.filter(status=filters.status)
    if filters.owner_id:
        contracts = contracts.filter(owner_id=filters.owner_id)
    if filters.team_id:
        contracts = contracts.filter(team_id__in=team_subtree_ids(filters.team_id))
    if filters.customer_id:
        contracts = contracts.filter(customer_id=filters.customer_id)
    if filters.deal_id:
        contracts = contracts.filter(deal_id=filters.deal_id)
    if filters.signed_from:
        contracts = contracts.filter(signed_on__gte=filters.signed_from)
    if filters.signed_to:
        contracts = contracts.filter(signed_on__lte=filters.signed_to)
    if filters.ending_within is not None:
        today = clock.today()
        contracts = contracts.filter(
            status=ContractStatus.ACTIVE,
            ends_on__gte=today,
            ends_on__lte=today + dt.timedelta(days=max(filters.ending_within, 0)),
        )
    if filters.q:
        contracts = contracts.filter(Q(number__istartswith=filters.q) | Q(title__icontains=filters.q))
    return contracts.select_related("owner", "team", "customer")


def contract_page(*, viewer: Actor, filters: ContractFilters, cursor: str | None, size: int) -> Page[Contract]:
    contracts = contract_list(viewer=viewer, filters=filters)
    return paginate(contracts, sort=SORTS[filters.sort_in_force], cursor=cursor, size=size)


def contract_export_rows(*, viewer: Actor, filters: ContractFilters) -> Iterator[Contract]:
    sort = SORTS[filters.sort_in_force]
    prefix = "-" if sort.descending else ""
    contracts = contract_list(viewer=viewer, filters=filters).order_by(f"{prefix}{sort.field}", f"{prefix}id")
    yield from contracts[:EXPORT_LIMIT].iterator(chunk_size=2000)


def contract_get(*, viewer: Actor, contract_id: int, for_update: bool = False) -> Contract:
    """One contract `viewer` may see, or NotFound (also when it exists but is hidden)."""
    contracts = Contract.objects.select_related("owner", "team", "customer", "deal", "quote", "created_by")
    if for_update:
        contracts = contracts.select_for_update(of=("self",))
    contract = contracts.filter(pk=contract_id).first()
    if contract is None or not contract_may_see(viewer, contract):
        raise NotFound(_("This record does not exist or you may not see it."))
    return contract


def contract_lines(*, contract: Contract) -> list[ContractLine]:
    return list(ContractLine.objects.filter(contract=contract).order_by("position", "id"))


def contract_attachments(*, contract: Contract) -> list[ContractAttachment]:
    return list(
        ContractAttachment.objects.filter(contract=contract, deleted_at__isnull=True)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def attachment_get(*, viewer: Actor, contract_id: int, attachment_id: int) -> ContractAttachment:
    """An attachment of a contract `viewer` may see; the same NotFound otherwise."""
    contract = contract_get(viewer=viewer, contract_id=contract_id)
    attachment = ContractAttachment.objects.filter(
        pk=attachment_id, contract_id=contract.pk, deleted_at__isnull=True
    ).first()
    if attachment is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    attachment.contract = contract
    return attachment


def contract_history(*, contract: Contract, limit: int = 100) -> list[AuditEntry]:
    """The audit entries of one contract, newest first (the caller has checked visibility)."""
    return history_of(target_type=CONTRACT_TYPE, target_ids=[contract.pk], limit=limit)


def contracts_of_customer(*, viewer: Actor, customer_id: int, limit: int = 20) -> list[Contract]:
    contracts = visible_contracts(viewer, Contract.objects.filter(customer_id=customer_id))
    return list(contracts.select_related("owner").order_by("-created_at", "-id")[:limit])


def contracts_of_deal(*, viewer: Actor, deal_id: int) -> list[Contract]:
    contracts = visible_contracts(viewer, Contract.objects.filter(deal_id=deal_id))
    return list(contracts.order_by("-created_at", "-id")[:20])


def contract_of_deal_exists(*, deal_id: int) -> Contract | None:
    """The live contract already made from a deal (whoever may see it): one deal, one contract."""
    return (
        Contract.objects.filter(deal_id=deal_id)
        .exclude(status=ContractStatus.TERMINATED)
        .order_by("-created_at", "-id")
        .first()
    )


def contracts_due_for_renewal_notice(*, today: dt.date, days: int) -> QuerySet[Contract]:
    """Active contracts ending within `days` whose owner has not been reminded yet."""
    return Contract.objects.filter(
        status=ContractStatus.ACTIVE,
        ends_on__gte=today,
        ends_on__lte=today + dt.timedelta(days=days),
        renewal_notified_at__isnull=True,
    ).select_related("owner", "customer")


def contracts_past_end(*, today: dt.date) -> QuerySet[Contract]:
    return Contract.objects.filter(status=ContractStatus.ACTIVE, ends_on__lt=today)


def quote_for_contract(*, deal_id: int) -> Quote | None:
    """The quote a contract carries: the deal's accepted quote, else its latest sent one."""
    accepted = Quote.objects.filter(deal_id=deal_id, status=QuoteStatus.ACCEPTED).order_by("-updated_at", "-id").first()
    if accepted is not None:
        return accepted
    return (
        Quote.objects.filter(deal_id=deal_id, status=QuoteStatus.SENT, sent_at__isnull=False)
        .order_by("-sent_at", "-id")
        .first()
    )
