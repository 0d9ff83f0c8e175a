"""Refusals of deal moves, with the stable codes the API returns."""

from __future__ import annotations

from dataclasses import dataclass

from crm.core.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class Missing:
    """One thing that stops a move, in words the user can act on."""

    kind: str  # "rule", "field", "evidence" or "checklist"
    code: str
    message: str
    field: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "code": self.code, "message": self.message, "field": self.field}


class MoveRefused(ValidationFailed):
    """The move breaks a pipeline rule nobody can override (closed deal, move not allowed …)."""

    code = "move_not_allowed"

    def __init__(self, message: str, refusals: list[Missing]) -> None:
        super().__init__(
            message,
            errors=[FieldError(field=item.field, message=item.message) for item in refusals if item.field],
            extra={"missing": [item.as_dict() for item in refusals], "may_override": False},
        )
        self.refusals = refusals


class StageRequirementsMissing(ValidationFailed):
    """The target stage's entry requirements do not hold yet; `missing` lists each one."""

    code = "stage_requirements_missing"

    def __init__(self, message: str, missing: list[Missing], *, may_override: bool) -> None:
        super().__init__(
            message,
            errors=[FieldError(field=item.field, message=item.message) for item in missing if item.kind == "field"],
            extra={"missing": [item.as_dict() for item in missing], "may_override": may_override},
        )
        self.missing = missing
        self.may_override = may_override
