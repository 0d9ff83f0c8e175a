from __future__ import annotations

from crm.imports.mapping import clean_mapping, guess_mapping


def test_chinese_headers_map_to_lead_fields() -> None:
    headers = ["姓名", "公司名称", "手机号码", "电子邮箱", "负责人", "外部编号", "不认识的列"]

    assert guess_mapping("leads", headers) == [
        "name", "company_name", "mobile", "email", "owner", "external_id", "",
    ]  # fmt: skip


def test_english_labels_and_code_names_map_to_contact_fields() -> None:
    headers = ["Name", "Customer", "E-mail", "mobile", "Date of birth", "external_id"]

    assert guess_mapping("contacts", headers) == ["name", "customer", "email", "mobile", "birthday", "external_id"]


def test_customer_headers_use_the_verbose_names_in_both_languages() -> None:
    headers = ["名称", "统一社会信用代码", "Annual revenue", "website"]

    assert guess_mapping("customers", headers) == ["name", "credit_code", "annual_revenue", "website"]


def test_a_saved_template_wins_over_the_guess_and_each_field_is_used_once() -> None:
    # given a template that maps the odd header "联系方式" to mobile
    saved = {"联系方式": "mobile"}

    # when two columns would both be "mobile"
    mapping = guess_mapping("leads", ["联系方式", "手机", "姓名"], saved)

    # then the template's column gets it and the second stays unmapped
    assert mapping == ["mobile", "", "name"]


def test_clean_mapping_drops_unknown_and_repeated_fields() -> None:
    assert clean_mapping("leads", ["a", "b", "c"], ["name", "name", "password"]) == ["name", "", ""]
