"""The audit log page: who may read it, and contact details masked for roles that mask them."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Org
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.models import Role, Visibility

pytestmark = pytest.mark.django_db


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_rep_may_not_browse_the_audit_log(org: Org) -> None:
    assert signed_in(org.rep_a1).get("/audit/").status_code == 403


def test_audit_log_masks_contact_details_for_a_role_that_masks_them(org: Org) -> None:
    # given a contact with a mobile and an email, created by rep_a1
    customer = a_customer(org.rep_a1, name="杭州云栖数据有限公司")
    a_contact(org.rep_a1, customer, name="陈静", mobile="13912345678", email="chen.jing@yunqi.cn")
    # and an auditor whose custom role may read the log but masks contact details
    auditor_role = Role.objects.create(
        code="auditor", name="审计员", visibility=Visibility.ALL, can_view_audit=True, masks_contact_info=True
    )
    org.rep_b1.role = auditor_role
    org.rep_b1.save()
    # when the auditor and the administrator read the log
    masked = signed_in(org.rep_b1).get("/audit/?target_type=customers.contact").content.decode()
    plain = signed_in(org.admin).get("/audit/?target_type=customers.contact").content.decode()
    # then only the administrator sees the full number and address
    assert "139****5678" in masked
    assert "c***@yunqi.cn" in masked
    assert "13912345678" not in masked
    assert "139 1234 5678" not in masked
    assert "chen.jing@yunqi.cn" not in masked
    assert "chen.jing@yunqi.cn" in plain
