"""Attachments (type and size limits, permission-checked downloads) and templates rendered to PDF safely."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import Org
from crm.contracts.errors import ContractLocked, TemplateRenderFailed
from crm.contracts.models import ContractAttachment
from crm.contracts.pdf import contract_html, contract_pdf
from crm.contracts.rendering import amount_in_words
from crm.contracts.services import (
    attachment_add,
    attachment_remove,
    contract_submit,
    template_create,
    template_update,
)
from crm.contracts.tests.factories import a_contract, a_contract_from_deal, a_manager_flow, a_pdf
from crm.core.errors import PermissionDenied, ValidationFailed
from crm.quotes.tests.test_views import pdf_text


def _field_message(error: ValidationFailed) -> dict[str, str]:
    return {item.field: item.message for item in error.errors}


# Attachments ------------------------------------------------------------------------------------


def test_the_signed_scan_is_stored_under_media_with_a_random_name(org: Org, settings: Any) -> None:
    contract = a_contract(org.rep_a1)

    attachment = attachment_add(
        actor=org.actor(org.rep_a1), contract_id=contract.pk, upload=a_pdf("../../合同扫描件.pdf")
    )

    assert attachment.file_name == "合同扫描件.pdf"
    assert attachment.content_type == "application/pdf"
    stored = str(attachment.file.name)
    assert stored.startswith("contracts/")
    assert "合同" not in stored
    assert attachment.file.path.startswith(str(settings.MEDIA_ROOT))
    with attachment.file.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("合同.exe", b"MZ\x90\x00"), "请上传 PDF、JPG 或 PNG 文件。"),
        (SimpleUploadedFile("合同.pdf", b"<html>not a pdf</html>"), "文件内容与其类型不符。"),
        (SimpleUploadedFile("合同.pdf", b""), "文件为空。"),
    ],
)
def test_files_of_the_wrong_type_are_refused(org: Org, upload: SimpleUploadedFile, message: str) -> None:
    contract = a_contract(org.rep_a1)

    with pytest.raises(ValidationFailed) as refused:
        attachment_add(actor=org.actor(org.rep_a1), contract_id=contract.pk, upload=upload)

    assert _field_message(refused.value) == {"file": message}
    assert ContractAttachment.objects.count() == 0


def test_a_file_over_the_limit_is_refused(org: Org, settings: Any) -> None:
    settings.CRM_CONTRACT_ATTACHMENT_MAX_BYTES = 1024 * 1024
    contract = a_contract(org.rep_a1)

    with pytest.raises(ValidationFailed) as refused:
        attachment_add(
            actor=org.actor(org.rep_a1), contract_id=contract.pk, upload=a_pdf(content=b"%PDF" + b"0" * 1024 * 1024)
        )

    assert _field_message(refused.value) == {"file": "文件超过 1 MB。"}


def test_files_cannot_change_while_pending_and_only_changers_add_them(org: Org) -> None:
    a_manager_flow()
    contract = a_contract(org.rep_a1)
    with pytest.raises(PermissionDenied):
        attachment_add(actor=org.actor(org.finance), contract_id=contract.pk, upload=a_pdf())
    attachment = attachment_add(actor=org.actor(org.rep_a1), contract_id=contract.pk, upload=a_pdf())
    contract_submit(actor=org.actor(org.rep_a1), contract_id=contract.pk, version=contract.version)

    with pytest.raises(ContractLocked):
        attachment_add(actor=org.actor(org.rep_a1), contract_id=contract.pk, upload=a_pdf())
    with pytest.raises(ContractLocked):
        attachment_remove(actor=org.actor(org.rep_a1), contract_id=contract.pk, attachment_id=attachment.pk)


# Templates and the PDF ------------------------------------------------------------------------------


def test_the_built_in_template_prints_chinese_with_the_cjk_font(org: Org) -> None:
    # given a contract from a deal with quote lines
    contract = a_contract_from_deal(org.rep_a1)

    # when it is printed
    pdf = contract_pdf(contract)

    # then the PDF embeds Noto Sans CJK and draws the Chinese title, customer and line names
    assert pdf.startswith(b"%PDF")
    fonts, text = pdf_text(pdf)
    assert any("CJK" in font for font in fonts)
    for expected in ("甲方", "云桌面标准版授权", "实施服务", contract.number):
        assert all(character in text for character in expected)


def test_a_template_sees_only_plain_values(org: Org) -> None:
    # given a template that tries to walk from the customer to its owner's password hash
    template_create(
        actor=org.actor(org.admin),
        values={
            "name": "测试模板",
            "is_default": True,
            "body": "<p>{{ contract.number }}|{{ customer.name }}|{{ customer.owner.password }}|"
            "{{ contract.amount_in_words }}</p>",
        },
    )
    contract = a_contract(org.rep_a1, amount="1234.50")

    # when it is rendered, then only the offered values appear
    html = contract_html(contract)
    assert html == f"<p>{contract.number}|上海华信科技有限公司||壹仟贰佰叁拾肆元伍角</p>"


@pytest.mark.parametrize(
    ("body", "hint"),
    [
        ("{% load static %}{% static 'x' %}", "load"),
        ("{% include 'web/base.html' %}", "include"),
        ("{% for line in lines %}", "endfor"),
        ("{% url 'contracts:list' %}", "url"),
        ("{% debug %}", "debug"),
    ],
)
def test_a_bad_template_is_refused_with_a_clear_message(org: Org, body: str, hint: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        template_create(actor=org.actor(org.admin), values={"name": "坏模板", "body": body})

    assert refused.value.code == "template_render_failed"
    message = _field_message(refused.value)["body"]
    assert message.startswith("合同模板无法使用：")
    assert hint in message


def test_a_template_that_fails_at_print_time_is_a_domain_error(org: Org) -> None:
    # given a template saved when it worked, later broken in the database by hand
    template = template_create(
        actor=org.actor(org.admin), values={"name": "模板", "body": "<p>ok</p>", "is_default": True}
    )
    type(template).objects.filter(pk=template.pk).update(body="{% if %}")
    contract = a_contract(org.rep_a1)

    with pytest.raises(TemplateRenderFailed):
        contract_pdf(contract)


def test_templates_are_for_administrators_and_one_is_the_default(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        template_create(actor=org.actor(org.director), values={"name": "甲", "body": "<p/>"})
    first = template_create(actor=org.actor(org.admin), values={"name": "甲", "body": "<p/>", "is_default": True})
    second = template_create(actor=org.actor(org.admin), values={"name": "乙", "body": "<p/>", "is_default": True})
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    template_update(
        actor=org.actor(org.admin), template_id=first.pk, version=first.version, values={"is_default": True}
    )
    second.refresh_from_db()
    assert second.is_default is False


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("10", "壹拾元整"),
        ("100005", "壹拾万零伍元整"),
        ("1000000", "壹佰万元整"),
        ("12345678.09", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元零玖分"),
        ("100000000", "壹亿元整"),
        ("200100", "贰拾万零壹佰元整"),
    ],
)
def test_amounts_in_chinese_capitals(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words
