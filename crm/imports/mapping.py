"""Which fields each object type imports, their labels, and guessing them from file headers.

A header maps to a field when, after folding case, spaces and punctuation, it equals the
field's code name (`mobile`), its English or Chinese label (`Mobile`, `手机`), or a common
alias (`手机号码`, `E-mail`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db import models
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from crm.customers.models import Contact, Customer
from crm.imports.models import ObjectType
from crm.leads.models import Lead


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: str


_MODELS: dict[str, type[models.Model]] = {
    ObjectType.LEADS: Lead,
    ObjectType.CUSTOMERS: Customer,
    ObjectType.CONTACTS: Contact,
}

# Field codes per object type, in the order the mapping screen lists them.
FIELDS: dict[str, list[str]] = {
    ObjectType.LEADS: [
        "name", "company_name", "title", "mobile", "phone", "email", "wechat", "province", "city",
        "industry", "annual_revenue", "campaign", "notes", "external_id", "owner",
    ],
    ObjectType.CUSTOMERS: [
        "name", "credit_code", "grade", "industry", "province", "city", "district", "street", "postcode",
        "size", "annual_revenue", "revenue_currency", "website", "phone", "email", "source",
        "lifecycle_stage", "notes", "external_id", "owner",
    ],
    ObjectType.CONTACTS: [
        "name", "customer", "title", "deal_role", "mobile", "phone", "email", "wechat", "address",
        "birthday", "notes", "external_id", "owner",
    ],
}  # fmt: skip

# Headers people use that are not the field's own label.
_ALIASES: dict[str, list[str]] = {
    "name": ["姓名", "名字", "联系人", "联系人姓名", "full name"],
    "company_name": ["公司", "公司名称", "单位", "单位名称", "企业名称", "company", "organisation", "organization"],
    "mobile": ["手机号", "手机号码", "移动电话", "mobile phone", "cell", "cellphone"],
    "phone": ["电话", "座机", "固定电话", "联系电话", "telephone", "tel", "phone number"],
    "email": ["邮箱", "电子邮箱", "电子邮件", "邮件", "e-mail", "mail"],
    "wechat": ["微信", "微信号", "weixin"],
    "title": ["职位", "职务", "title", "position"],
    "province": ["省", "省份"],
    "city": ["市", "城市"],
    "industry": ["行业", "所属行业"],
    "annual_revenue": ["年营收", "年收入", "营业收入", "revenue", "annual revenue"],
    "notes": ["备注", "说明", "note", "remarks", "comment"],
    "external_id": ["外部编号", "外部id", "编号", "原系统编号", "external id", "id"],
    "owner": ["负责人", "所有人", "归属人", "销售", "owner", "sales rep"],
    "customer": ["客户", "客户名称", "所属客户", "公司", "公司名称", "company", "account"],
    "birthday": ["生日", "出生日期", "date of birth", "dob"],
    "credit_code": ["统一社会信用代码", "信用代码", "税号", "credit code", "uscc"],
    "website": ["网址", "官网", "网站", "url", "web"],
    "address": ["地址", "联系地址", "address"],
    "campaign": ["活动", "市场活动", "campaign"],
    "grade": ["级别", "等级", "客户级别", "客户等级"],
    "size": ["规模", "公司规模", "人员规模"],
    "source": ["来源", "客户来源"],
}

_FOLD = re.compile(r"[\s_\-·.:：()（）/]+")


def fold(header: str) -> str:
    return _FOLD.sub("", unicodedata.normalize("NFKC", header).lower())


def _label(object_type: str, code: str) -> str:
    if code == "owner":
        return str(_("owner"))
    if code == "customer":
        return str(_("customer"))
    field = _MODELS[object_type]._meta.get_field(code)
    return str(getattr(field, "verbose_name", code))


def field_specs(object_type: str) -> list[FieldSpec]:
    """The importable fields of `object_type`, labelled in the active language."""
    return [FieldSpec(code=code, label=_label(object_type, code)) for code in FIELDS[object_type]]


def label_of(object_type: str, code: str) -> str:
    return capfirst(_label(object_type, code)) if code in FIELDS.get(object_type, []) else code


def _names(object_type: str) -> dict[str, str]:
    """Folded header → field code, from code names, labels in both languages and aliases."""
    names: dict[str, str] = {}
    for code in reversed(FIELDS[object_type]):
        for alias in _ALIASES.get(code, []):
            names[fold(alias)] = code
    for code in FIELDS[object_type]:
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names[fold(_label(object_type, code))] = code
        names[fold(code)] = code
    return names


def guess_mapping(object_type: str, headers: list[str], saved: dict[str, str] | None = None) -> list[str]:
    """A field code (or "") per header; a saved template's choices win, each field is used once."""
    names = _names(object_type)
    allowed = set(FIELDS[object_type])
    result: list[str] = []
    used: set[str] = set()
    for header in headers:
        code = (saved or {}).get(header) or names.get(fold(header), "")
        if code not in allowed or code in used:
            code = ""
        result.append(code)
        if code:
            used.add(code)
    return result


def clean_mapping(object_type: str, headers: list[str], mapping: list[str]) -> list[str]:
    """`mapping` trimmed to the headers, with unknown and repeated fields dropped."""
    allowed = set(FIELDS[object_type])
    result: list[str] = []
    used: set[str] = set()
    for index in range(len(headers)):
        code = mapping[index] if index < len(mapping) else ""
        if code not in allowed or code in used:
            code = ""
        result.append(code)
        if code:
            used.add(code)
    return result
