"""Rules from DESIGN.md that a linter does not check, checked by reading the source."""

from __future__ import annotations

import re
from pathlib import Path

CRM = Path(__file__).resolve().parent.parent / "crm"
ENTRYPOINTS = [*CRM.glob("*/views.py"), *CRM.glob("*/api.py")]
ORM_ACCESS = re.compile(r"\b[A-Z]\w*\.(objects|all_objects)\b")


def test_entrypoints_never_touch_the_orm_directly() -> None:
    # given every web view and API module
    offenders = []
    for path in ENTRYPOINTS:
        # when looking for Model.objects / Model.all_objects
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if ORM_ACCESS.search(line):
                offenders.append(f"{path.relative_to(CRM.parent)}:{number}: {line.strip()}")
    # then there is none: reads go through selectors, writes through services
    assert offenders == []


def test_no_grab_bag_module_names() -> None:
    names = {"utils.py", "helpers.py", "common.py", "misc.py"}
    assert [str(p) for p in CRM.rglob("*.py") if p.name in names] == []


def test_every_app_says_what_it_owns() -> None:
    # given each app package
    for package in [p for p in CRM.iterdir() if (p / "apps.py").exists()]:
        # then its __init__ docstring states its responsibility
        text = (package / "__init__.py").read_text()
        assert text.startswith('"""'), package.name
        assert len(text.strip().strip('"').split()) >= 8, package.name


def test_migrations_are_named() -> None:
    auto_named = [str(p) for p in CRM.glob("*/migrations/0*_auto_*.py")]
    assert auto_named == []
