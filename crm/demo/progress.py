"""How the generator reports progress: a stage begins with its total, then advances batch by batch."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def begin(self, stage: str, total: int) -> None:
        """`stage` starts now and will advance by `total` in all."""

    def advance(self, stage: str, count: int) -> None:
        """`count` more of `stage` are done."""


class Silent:
    """Progress nobody watches."""

    def begin(self, stage: str, total: int) -> None:
        pass

    def advance(self, stage: str, count: int) -> None:
        pass
