"""Who sees which contract: owner/team rule, finance sees all, approvers see what they decide on."""

from __future__ import annotations

import pytest

from conftest import Org
from crm.approvals.services import flow_save, flow_step_add
from crm.contracts.selectors import ContractFilters, contract_get, contract_list
from crm.contracts.services import contract_submit
from crm.contracts.tests.factories import ADMIN, a_contract
from crm.core.errors import NotFound

# viewer → the owners (of rep_a1, rep_a2, rep_b1, rep_n1) whose contracts they see
MATRIX = {
    "rep_a1": {"rep_a1"},
    "rep_a2": {"rep_a2"},
    "east_a_manager": {"rep_a1", "rep_a2"},
    "east_manager": {"rep_a1", "rep_a2", "rep_b1"},
    "director": {"rep_a1", "rep_a2", "rep_b1", "rep_n1"},
    "finance": {"rep_a1", "rep_a2", "rep_b1", "rep_n1"},
    "admin": {"rep_a1", "rep_a2", "rep_b1", "rep_n1"},
}


@pytest.mark.parametrize(("viewer", "sees"), sorted(MATRIX.items()))
def test_visibility_matrix_for_lists_and_detail(org: Org, viewer: str, sees: set[str]) -> None:
    # given one contract per rep
    contracts = {
        name: a_contract(getattr(org, name), title=f"{name}的合同") for name in ("rep_a1", "rep_a2", "rep_b1", "rep_n1")
    }
    actor = org.actor(getattr(org, viewer))

    # when the viewer lists them and opens each
    listed = set(contract_list(viewer=actor, filters=ContractFilters()).values_list("title", flat=True))
    opened = set()
    for name, contract in contracts.items():
        try:
            contract_get(viewer=actor, contract_id=contract.pk)
            opened.add(name)
        except NotFound:
            pass

    # then the list and the detail agree with the rule
    assert listed == {f"{name}的合同" for name in sees}
    assert opened == sees


def test_finance_sees_every_contract_even_with_a_narrower_role_visibility(org: Org) -> None:
    # given finance's role narrowed to their own records by an administrator
    role = org.finance.role
    assert role is not None
    role.visibility = "own"
    role.save()
    contract = a_contract(org.rep_n1)

    # then finance still reads every contract
    assert contract_get(viewer=org.actor(org.finance), contract_id=contract.pk).pk == contract.pk


def test_an_approver_outside_the_team_may_open_the_contract_they_decide_on(org: Org) -> None:
    # given a flow whose approver is a north rep who would not see an east contract
    flow_save(ADMIN, kind="contract", name="北区复核")
    flow_step_add(
        ADMIN, kind="contract", values={"name": "复核", "approver_kind": "user", "approver_user_id": org.rep_n1.pk}
    )
    contract = a_contract(org.rep_a1)

    # before submission they cannot open it
    with pytest.raises(NotFound):
        contract_get(viewer=org.actor(org.rep_n1), contract_id=contract.pk)

    # when it is submitted, they can, though it stays out of their list
    contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)
    assert contract_get(viewer=org.actor(org.rep_n1), contract_id=contract.pk).pk == contract.pk
    assert contract_list(viewer=org.actor(org.rep_n1), filters=ContractFilters()).count() == 0
