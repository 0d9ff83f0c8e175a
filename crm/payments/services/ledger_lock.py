"""The lock every ledger write takes: the contract's row, so two writers on one contract run one after the other."""

from __future__ import annotations

from django.utils.translation import gettext as _

from crm.contracts.models import Contract
from crm.core.actors import Actor
from crm.core.errors import PermissionDenied
from crm.payments.selectors import contract_get, may_collect


def lock_contract(actor: Actor, contract_id: int) -> Contract:
    """The visible contract, row-locked until the transaction ends; NotFound or PermissionDenied otherwise.

    Call inside `transaction.atomic()`. Reads made after it (open instalments, totals) see every
    earlier writer's committed rows, which is what makes overpayment checks race-free.
    """
    contract = contract_get(viewer=actor, contract_id=contract_id, for_update=True)
    if not may_collect(actor, contract):
        raise PermissionDenied(_("You may view this contract's payments but not change them."))
    return contract
