"""Duplicate reasons read in the viewer's language: when scored, when stored, and in the CSV scan."""

from __future__ import annotations

import copy
import csv
import io
import json

from django.core.management import call_command
from django.test import Client
from django.utils import translation

from conftest import Org
from crm.customers.duplicates.scoring import Reason, reason_text, score
from crm.customers.models import ScanPair
from crm.customers.tests.factories import a_contact, a_customer

PAIR = (
    {"company": "北京字节跳动科技有限公司", "phones": ["+861062345678"]},
    {"company": "字节跳动(北京)科技有限公司", "phones": ["010-62345678"]},
)


def test_reasons_are_chinese_by_default_and_english_when_english_is_active() -> None:
    # when the same pair is scored in each language
    _points, chinese = score(*PAIR)
    with translation.override("en"):
        _points, english = score(*PAIR)

    # then each reads in that language
    assert chinese == ["电话相同 +861062345678", "公司名称相近 字节跳动科技"]
    assert english == ["same phone +861062345678", "company name ~ 字节跳动科技"]


def test_a_stored_reason_renders_again_in_the_language_active_later() -> None:
    # given a reason scored in English and stored as JSON
    with translation.override("en"):
        _points, (reason, *_rest) = score(*PAIR)
    assert isinstance(reason, Reason)
    stored = json.loads(json.dumps(reason.data()))

    # then it reads in Chinese by default, and a plain stored text stays as it is
    assert reason_text(stored) == "电话相同 +861062345678"
    assert reason_text(reason) == "电话相同 +861062345678"
    assert reason_text("same phone 123") == "same phone 123"
    # and a copy keeps what it needs to render again
    assert reason_text(copy.deepcopy(reason)) == "电话相同 +861062345678"


def test_a_scan_shows_its_stored_reasons_in_each_viewers_language(org: Org) -> None:
    # given a scan run by an English-speaking manager
    a_customer(org.rep_a1, name="北京字节跳动科技有限公司", phone="010-62345678")
    a_customer(org.rep_a2, name="字节跳动(北京)科技有限公司", phone="01062345678")
    org.east_a_manager.language = "en"
    org.east_a_manager.save(update_fields=["language"])
    client = Client()
    client.force_login(org.east_a_manager)
    client.post("/customers/duplicates/", {"object": "customers"})

    # then the pair is stored as codes and values, and the manager reads it in English
    (pair,) = ScanPair.objects.all()
    assert pair.reasons[0] == {"code": "same_phone", "values": {"a": "+861062345678"}}
    assert "same phone +861062345678" in client.get("/customers/duplicates/?object=customers").content.decode()

    # and after switching to Chinese, the same stored scan reads in Chinese
    org.east_a_manager.language = "zh-hans"
    org.east_a_manager.save(update_fields=["language"])
    page = client.get("/customers/duplicates/?object=customers").content.decode()
    assert "电话相同 +861062345678; 公司名称相近 字节跳动科技" in page


def test_the_csv_scan_follows_the_active_language(org: Org) -> None:
    # given two contacts sharing a mobile
    customer = a_customer(org.rep_a1)
    a_contact(org.rep_a1, customer, name="张伟", mobile="13812345678", email="")
    a_contact(org.rep_a1, customer, name="张伟", mobile="13812345678", email="")

    def scan() -> list[str]:
        out = io.StringIO()
        call_command("duplicates", "scan", "--object", "contacts", "--format", "csv", "--quiet", stdout=out)
        return list(csv.reader(io.StringIO(out.getvalue())))[1]

    # when scanned in the default language, then in English
    chinese = scan()
    with translation.override("en"):
        english = scan()

    # then the reasons column follows
    assert chinese[5] == "电话相同 +8613812345678; 姓名相同 张伟; 同一客户"
    assert english[5] == "same phone +8613812345678; same name 张伟; same customer"
