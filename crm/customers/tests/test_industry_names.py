import pytest

from conftest import Org
from crm.customers.selectors import industry_names
from crm.customers.services import customer_delete
from crm.customers.tests.factories import a_customer


def test_industry_names_lists_each_live_customers_industry_once_in_order(org: Org) -> None:
    # given customers in three industries, one twice, one blank and one only on a deleted customer
    a_customer(org.rep_a1, name="上海华信科技有限公司", industry="软件与信息服务")
    a_customer(org.rep_a1, name="杭州恒达机械有限公司", industry="制造业")
    a_customer(org.rep_a2, name="北京金源医药有限公司", industry="医药健康")
    a_customer(org.rep_a2, name="深圳宏图科技有限公司", industry="软件与信息服务")
    a_customer(org.rep_a2, name="广州瑞丰贸易有限公司", industry="")
    gone = a_customer(org.rep_b1, name="南京东方物流有限公司", industry="交通物流")
    customer_delete(actor=org.actor(org.admin), customer_id=gone.pk)

    # when the industries are listed
    names = industry_names()

    # then each live industry appears once, sorted, without the blank or the deleted one
    assert names == sorted(["软件与信息服务", "制造业", "医药健康"])


@pytest.mark.parametrize("limit", [1, 2])
def test_industry_names_stops_at_the_limit(org: Org, limit: int) -> None:
    # given customers in three industries
    for number, industry in enumerate(["A 行业", "B 行业", "C 行业"]):
        a_customer(org.rep_a1, name=f"测试公司{number}", industry=industry)

    # when asking for fewer
    # then the first ones in order are returned
    assert industry_names(limit=limit) == ["A 行业", "B 行业", "C 行业"][:limit]


def test_industry_names_is_empty_without_customers(db: None) -> None:
    # given no customers
    # when the industries are listed
    # then there are none
    assert industry_names() == []
