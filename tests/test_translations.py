"""The Chinese catalogue is complete and current, and pages speak one language at a time.

The catalogue checks read `locale/zh_Hans/LC_MESSAGES/django.po` with a small parser and compare it
with every string the code marks for translation (Python via `ast`, templates via Django's own
`templatize`, the step `makemessages` runs before xgettext), so a newly marked string that was not
added and translated fails here without running gettext.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils.translation.template import templatize

from conftest import PASSWORD, Org
from crm.activities.services import activity_create
from crm.audit.models import AuditEntry
from crm.customers.tests.factories import a_contact, a_customer
from crm.identity.models import Team, User

ROOT = Path(settings.BASE_DIR)
PO_FILE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
SOURCE_DIRS = [ROOT / "crm", ROOT / "config"]

# (context, msgid); context is "" when there is none.
Key = tuple[str, str]


@dataclass
class Entry:
    context: str = ""
    msgid: str = ""
    msgid_plural: str = ""
    msgstrs: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def _unquote(token: str) -> str:
    value = ast.literal_eval(token)
    assert isinstance(value, str)
    return value


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po file, the header first; entries are separated by blank lines, as gettext writes them."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = Entry()
        keyword = ""
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
                continue
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
            if match:
                keyword, value = match.group(1), _unquote(match.group(2))
            elif line.startswith('"') and keyword:
                value = _unquote(line)
            else:
                raise AssertionError(f"{PO_FILE}: cannot read {raw!r}")
            if keyword == "msgctxt":
                entry.context += value
            elif keyword == "msgid":
                entry.msgid += value
            elif keyword == "msgid_plural":
                entry.msgid_plural += value
            else:
                entry.msgstrs[keyword] = entry.msgstrs.get(keyword, "") + value
        if keyword:  # blocks holding only obsolete (#~) lines have none
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return [entry for entry in parse_po(PO_FILE.read_text(encoding="utf-8")) if entry.msgid]


def _literal_strings(node: ast.Call) -> list[str] | None:
    values = []
    for arg in node.args:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            break
        values.append(arg.value)
    return values or None


# Keyword → (index of the context argument or None, index of the message argument); as xgettext is told.
PYTHON_KEYWORDS: dict[str, tuple[int | None, int]] = {
    "_": (None, 0),
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}


def marked_in_python(path: Path) -> set[Key]:
    keys: set[Key] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in PYTHON_KEYWORDS or (strings := _literal_strings(node)) is None:
            continue
        context_at, message_at = PYTHON_KEYWORDS[name]
        if len(strings) > message_at:
            keys.add((strings[context_at] if context_at is not None else "", strings[message_at]))
    return keys


_TEMPLATE_CALL = re.compile(
    r"\b(npgettext|ngettext|pgettext|gettext)\(((?:\s*u?(?:'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\")\s*,?)+)"
)
_LITERAL = re.compile(r"u?('(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\")")


def marked_in_template(path: Path) -> set[Key]:
    keys: set[Key] = set()
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for match in _TEMPLATE_CALL.finditer(code):
        strings = [_unquote(literal) for literal in _LITERAL.findall(match.group(2))]
        if match.group(1).startswith(("pgettext", "npgettext")):
            keys.add((strings[0], strings[1]))
        else:
            keys.add(("", strings[0]))
    return keys


def marked_in_source() -> dict[Key, Path]:
    found: dict[Key, Path] = {}
    for directory in SOURCE_DIRS:
        for path in sorted(directory.rglob("*")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            if path.suffix == ".py":
                keys = marked_in_python(path)
            elif path.suffix in (".html", ".txt") and "templates" in path.parts:
                keys = marked_in_template(path)
            else:
                continue
            for key in keys:
                found.setdefault(key, path)
    return found


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue: list[Entry]) -> None:
    # given the committed catalogue
    header = parse_po(PO_FILE.read_text(encoding="utf-8"))[0]

    # when the entries are checked
    fuzzy = [entry.msgid for entry in [header, *catalogue] if "fuzzy" in entry.flags]
    empty = [entry.msgid for entry in catalogue if not entry.msgstrs or not all(entry.msgstrs.values())]
    extra_plural_forms = [entry.msgid for entry in catalogue if set(entry.msgstrs) - {"msgstr", "msgstr[0]"}]

    # then nothing is waiting for a translator, and plurals have Chinese's single form
    assert fuzzy == []
    assert empty == []
    assert extra_plural_forms == []
    assert len(catalogue) > 300


def test_placeholders_survive_translation(catalogue: list[Entry]) -> None:
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}")
    wrong = [
        (entry.msgid, text)
        for entry in catalogue
        for text in entry.msgstrs.values()
        if sorted(placeholder.findall(entry.msgid)) != sorted(placeholder.findall(text))
    ]
    assert wrong == []


def test_every_marked_string_is_in_the_catalogue(catalogue: list[Entry]) -> None:
    # given every string the code marks for translation
    marked = marked_in_source()
    known = {(entry.context, entry.msgid) for entry in catalogue}

    # when compared with the catalogue
    missing = sorted(f"{path.relative_to(ROOT)}: {key}" for key, path in marked.items() if key not in known)

    # then `makemessages` would add nothing
    assert missing == [], "run makemessages -l zh_Hans and translate:\n" + "\n".join(missing)
    assert ("", "Sign in") in marked
    assert ("person", "Name") in marked
    assert ("", "%(counter)s member") in marked


@pytest.mark.parametrize(
    ("msgid", "context", "expected"),
    [
        ("Owner", "", "负责人"),
        ("Follow-ups", "", "跟进记录"),
        ("Recycle bin", "", "回收站"),
        ("Audit log", "", "操作日志"),
        ("Record visibility", "", "数据权限"),
        ("Customer", "", "客户"),
        ("Contact", "", "联系人"),
        ("Tags", "", "标签"),
        ("Grade", "", "客户分级"),
        ("Visit", "", "拜访"),
    ],
)
def test_glossary_terms(catalogue: list[Entry], msgid: str, context: str, expected: str) -> None:
    translated = {(entry.context, entry.msgid): entry.msgstrs.get("msgstr") for entry in catalogue}
    assert translated[(context, msgid)] == expected


class _VisibleText(HTMLParser):
    """Text a person reads: element text plus placeholders, titles and labels; no scripts, styles or code."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture
def compiled() -> None:
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        pytest.fail("The compiled catalogue is missing or older than django.po: run manage.py compilemessages.")


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled")
def test_sign_in_page_is_chinese_by_default_even_for_an_english_browser(client: Client) -> None:
    # when an anonymous visitor with no language cookie opens the sign-in page
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    # then it is in Chinese, with English offered only as the switch
    text = visible_text(response.content.decode())
    assert response.status_code == 200
    assert "登录" in text
    assert "用户名或邮箱" in text
    assert "Sign in" not in text
    assert set(LATIN_WORD.findall(text)) <= {"CRM", "English"}


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled")
def test_sign_in_page_in_english_with_the_language_cookie(client: Client) -> None:
    # given the language cookie says English
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    # when the sign-in page is opened
    response = client.get("/login/")

    # then it is in English, with Chinese offered only as the switch
    text = visible_text(response.content.decode())
    assert "Sign in" in text
    assert "Username or email" in text
    assert CJK.findall(text) == ["中文"]


def _without(text: str, data: set[str]) -> str:
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


@pytest.mark.usefixtures("compiled")
def test_signed_in_pages_speak_the_users_language(client: Client, org: Org) -> None:
    # given records with a change history, and an administrator looking at them
    customer = a_customer(org.admin, lifecycle_stage="qualified", source="referral", size="21-100")
    contact = a_contact(org.admin, customer, deal_role="decision_maker")
    activity_create(actor=org.actor(org.admin), values={"customer_id": customer.pk, "content": "电话沟通需求"})
    assert client.login(username=org.admin.username, password=PASSWORD)
    people = User.objects.all()
    data = {user.get_full_name() for user in people} | {user.username for user in people}
    data |= {team.name for team in Team.objects.all()}
    data |= {customer.name, customer.industry, contact.name, contact.email, "电话沟通需求", "test"}
    # An audit entry keeps the record's name as it read when the entry was written.
    data |= set(AuditEntry.objects.values_list("target_repr", flat=True))
    paths = [
        "/",
        "/customers/",
        "/customers/new/",
        f"/customers/{customer.pk}/",
        f"/customers/{customer.pk}/edit/",
        f"/activities/customer/{customer.pk}/",
        "/contacts/",
        "/contacts/new/",
        f"/contacts/{contact.pk}/",
        "/trash/",
        "/audit/",
        "/org/users/",
        "/org/users/new/",
        "/org/teams/",
        "/org/roles/",
        "/settings/tokens/",
        "/settings/password/",
        "/customers/999999/",
    ]

    # when each page is shown in Chinese, then in English
    chinese = {path: _without(visible_text(client.get(path).content.decode()), data) for path in paths}
    User.objects.filter(pk=org.admin.pk).update(language="en")
    english = {path: _without(visible_text(client.get(path).content.decode()), data) for path in paths}

    # then Chinese pages hold no English words but acronyms, codes and the switch, and English
    # pages no Chinese but the switch and the language picker, which names each language in itself
    allowed = {"CRM", "API", "English", "CNY", "Excel", "XLSX", "CSV", "zjtd"}
    english_on_chinese = {path: sorted(set(LATIN_WORD.findall(text)) - allowed) for path, text in chinese.items()}
    endonyms = {"中文", "简体中文"}
    chinese_on_english = {path: sorted(set(CJK.findall(text)) - endonyms) for path, text in english.items()}
    assert {path: words for path, words in english_on_chinese.items() if words} == {}
    assert {path: words for path, words in chinese_on_english.items() if words} == {}
    assert "客户分级" in chinese["/customers/new/"]
    assert "Grade" in english["/customers/new/"]
