"""The docs a newcomer starts from stay true: a two-command quick start, every setting documented."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ENV_MODULE = ROOT / "config" / "env.py"
CONFIGURATION = ROOT / "docs" / "configuration.md"

FENCE = re.compile(r"^\s*(```|~~~)")
ENV_READ = re.compile(r"""(?:os\.environ\.get|os\.getenv|_bool|_list)\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def _section(markdown: str, heading: str) -> list[str]:
    """The lines under `## heading` up to the next heading of the same or a higher level."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"## {heading}")
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"^#{1,2}\s", lines[i])),
        len(lines),
    )
    return lines[start + 1 : end]


def _code_blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        if FENCE.match(line):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    assert current is None, "unclosed code block"
    return blocks


def test_quick_start_is_one_code_block_of_two_commands() -> None:
    # given the README's quick start section
    section = _section(README.read_text(encoding="utf-8"), "Quick start")

    # when its code blocks are collected
    blocks = _code_blocks(section)

    # then there is exactly one, holding exactly two commands
    assert len(blocks) == 1
    assert [line for line in blocks[0] if line.strip()] == ["bash scripts/start", "bash scripts/test"]


def test_every_environment_variable_is_documented() -> None:
    # given the variables config/env.py reads
    names = set(ENV_READ.findall(ENV_MODULE.read_text(encoding="utf-8")))
    assert "DATABASE_URL" in names  # the pattern still finds what env.py reads

    # when looking for each in the configuration page
    documented = CONFIGURATION.read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in documented)

    # then none is missing
    assert missing == []
