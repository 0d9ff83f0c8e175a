"""Contract number patterns such as `HT-{yyyy}-{seq:05d}`: checking, and filling them in.

A pattern holds literal text, date parts (`{yyyy}`, `{yy}`, `{mm}`) and exactly one sequence
(`{seq}` or `{seq:05d}` for a zero-padded width). The sequence counts per *scope*: the pattern with
its date parts filled in, so `HT-{yyyy}-{seq:05d}` starts again at 1 every year.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

TOKEN = re.compile(r"\{([^{}]*)\}")
SEQUENCE = re.compile(r"^seq(?::0?(\d)d)?$")
DATE_PARTS = {"yyyy": "%Y", "yy": "%y", "mm": "%m"}
LITERAL = re.compile(r"^[A-Za-z0-9\-_/.#]*$")
MAX_NUMBER_LENGTH = 40
SCOPE_MARK = "{seq}"


class PatternError(ValueError):
    """The pattern is not usable; the message says why, in the user's language."""


@dataclass(frozen=True)
class Pattern:
    text: str
    width: int

    def scope(self, day: dt.date) -> str:
        """The pattern with its date parts filled in: numbers in one scope share one sequence."""

        def fill(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in DATE_PARTS:
                return day.strftime(DATE_PARTS[token])
            return SCOPE_MARK

        return TOKEN.sub(fill, self.text)

    def number(self, day: dt.date, sequence: int) -> str:
        return self.scope(day).replace(SCOPE_MARK, f"{sequence:0{self.width}d}")


def parse_pattern(text: str) -> Pattern:
    """The checked pattern, or PatternError naming what is wrong."""
    text = text.strip()
    if not text:
        raise PatternError(_("Enter a number pattern, for example HT-{yyyy}-{seq:05d}."))
    width = 0
    sequences = 0
    for token in TOKEN.findall(text):
        match = SEQUENCE.match(token)
        if match:
            sequences += 1
            width = int(match.group(1) or 1)
        elif token not in DATE_PARTS:
            raise PatternError(
                _("“{%(token)s}” is not a placeholder; use {yyyy}, {yy}, {mm} and {seq} or {seq:05d}.")
                % {"token": token}
            )
    if sequences != 1:
        raise PatternError(_("The pattern needs exactly one sequence placeholder, {seq} or {seq:05d}."))
    if not LITERAL.match(TOKEN.sub("", text)):
        raise PatternError(_("Outside placeholders use only letters, digits and - _ / . #"))
    pattern = Pattern(text=text, width=width)
    # The longest number the pattern makes within a century must still fit the column.
    if len(pattern.number(dt.date(2099, 12, 31), 10**width - 1)) > MAX_NUMBER_LENGTH - 2:
        raise PatternError(_("Numbers from this pattern would be too long (at most 38 characters)."))
    return pattern
