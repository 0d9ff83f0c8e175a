"""Importing in the browser: upload, map a column by hand, see the bad row, run, see the result."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import Org
from crm.leads.models import Lead
from tests.e2e.actions import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def test_import_leads_with_a_mapping_and_one_bad_row(page: Page, org: Org, settings: object, tmp_path: Path) -> None:
    # given the worker runs jobs at once, and a GBK file whose phone column has an unusual header
    settings.TASKS = IMMEDIATE  # type: ignore[attr-defined]
    path = tmp_path / "展会线索.csv"
    path.write_bytes(
        "姓名,公司名称,联系方式,外部编号\n"
        "王建国,杭州云栖智能制造有限公司,13912345678,EXPO-1\n"
        "李娜,上海华信科技有限公司,12345,EXPO-2\n"
        "赵磊,南京紫金云数据有限公司,13800138000,EXPO-3\n".encode("gbk")
    )
    sign_in(page, "rep_a1")

    # when they upload it from the Imports page
    page.get_by_test_id("nav-imports").click()
    page.get_by_test_id("new-import").click()
    page.get_by_test_id("upload-form").locator("input[type=file]").set_input_files(str(path))
    page.get_by_test_id("upload").click()

    # and map the phone column by hand
    page.get_by_test_id("map-2").select_option("mobile")
    page.get_by_test_id("to-preview").click()

    # then the preview shows the bad row's error
    expect(page.get_by_test_id("preview-row-3").get_by_test_id("row-error")).to_contain_text("12345")

    # when they run the import
    page.get_by_test_id("run-import").click()

    # then the result shows two created and the one rejected row with its reason
    expect(page.get_by_test_id("job-status")).to_have_text("完成")
    expect(page.get_by_test_id("created-count")).to_have_text("2")
    expect(page.get_by_test_id("rejected-count")).to_have_text("1")
    expect(page.get_by_test_id("rejected-table")).to_contain_text("12345")
    assert sorted(str(value) for value in Lead.objects.values_list("external_id", flat=True)) == ["EXPO-1", "EXPO-3"]
