import pytest

from conftest import Org
from crm.core.errors import NotFound
from crm.leads.selectors import LeadFilters, lead_get, lead_list, lead_page
from crm.leads.services import lead_delete, lead_set_status
from crm.leads.tests.factories import a_lead


def names(org: Org, user: object, **filters: object) -> list[str]:
    leads = lead_list(viewer=org.actor(user), filters=LeadFilters(**filters))  # type: ignore[arg-type]
    return sorted(lead.name for lead in leads)


def test_each_role_sees_the_leads_of_its_scope(org: Org) -> None:
    # given leads of reps in three teams
    a_lead(org.rep_a1, name="甲")
    a_lead(org.rep_b1, name="乙")
    a_lead(org.rep_n1, name="丙")

    # then a rep sees their own, a team manager their team, the east manager east, the director all
    assert names(org, org.rep_a1) == ["甲"]
    assert names(org, org.rep_a2) == []
    assert names(org, org.east_a_manager) == ["甲"]
    assert names(org, org.east_manager) == ["乙", "甲"]
    assert names(org, org.director) == ["丙", "乙", "甲"]


def test_a_hidden_lead_is_not_found(org: Org) -> None:
    lead = a_lead(org.rep_n1)
    with pytest.raises(NotFound):
        lead_get(viewer=org.actor(org.rep_a1), lead_id=lead.pk)
    assert lead_get(viewer=org.actor(org.director), lead_id=lead.pk).pk == lead.pk


def test_search_finds_by_pinyin_initials_of_the_person_and_the_company(org: Org) -> None:
    # given two leads
    a_lead(org.rep_a1, name="王建国", company_name="字节跳动科技有限公司")
    a_lead(org.rep_a1, name="李娜", company_name="上海华信科技有限公司")

    # then pinyin initials of the person or the company find the right one
    assert names(org, org.rep_a1, q="wjg") == ["王建国"]
    assert names(org, org.rep_a1, q="zjtd") == ["王建国"]
    assert names(org, org.rep_a1, q="13912345678") == ["李娜", "王建国"]


def test_filters_by_status_channel_and_campaign(org: Org) -> None:
    # given leads from different channels and campaigns
    first = a_lead(org.rep_a1, name="甲", channel="web_form", campaign="春季官网")
    a_lead(org.rep_a1, name="乙", channel="event", campaign="工博会")
    a_lead(org.rep_a1, name="丙", channel="event", campaign="春季官网")
    lead_set_status(actor=org.actor(org.rep_a1), lead_id=first.pk, status="qualified")

    # then each filter narrows the list
    assert names(org, org.rep_a1, status="qualified") == ["甲"]
    assert names(org, org.rep_a1, channel="event") == ["丙", "乙"]
    assert names(org, org.rep_a1, campaign="春季官网") == ["丙", "甲"]


def test_deleted_leads_are_only_in_the_recycle_bin_list(org: Org) -> None:
    lead = a_lead(org.rep_a1, name="甲")
    a_lead(org.rep_a1, name="乙")
    lead_delete(actor=org.actor(org.rep_a1), lead_id=lead.pk)
    assert names(org, org.rep_a1) == ["乙"]
    assert names(org, org.rep_a1, deleted=True) == ["甲"]


def test_pages_follow_the_sort_without_gaps(org: Org) -> None:
    # given five leads
    for number in range(5):
        a_lead(org.rep_a1, name=f"线索{number}")
    actor = org.actor(org.rep_a1)

    # when they are read two at a time by name
    first = lead_page(viewer=actor, filters=LeadFilters(sort="name"), cursor=None, size=2)
    second = lead_page(viewer=actor, filters=LeadFilters(sort="name"), cursor=first.next_cursor, size=2)
    third = lead_page(viewer=actor, filters=LeadFilters(sort="name"), cursor=second.next_cursor, size=2)

    # then every lead appears once, in order
    seen = [lead.name for page in (first, second, third) for lead in page.items]
    assert seen == [f"线索{number}" for number in range(5)]
    assert third.next_cursor is None
