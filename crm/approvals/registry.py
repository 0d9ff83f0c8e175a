"""Record kinds that can be approved. Apps above approvals register an adapter in `AppConfig.ready()`.

The engine never imports those apps: everything it needs to know about a record (the facts step
conditions test, its title and page, and what to do once decided) comes through the adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from crm.access.visibility import can_change, can_see
from crm.core.actors import Actor
from crm.core.errors import FieldError, ValidationFailed

type StrOrPromise = str | Promise

OUTCOMES = ("approved", "rejected", "returned", "withdrawn")


@dataclass(frozen=True)
class ApprovalSubject:
    kind: str
    label: StrOrPromise
    model: type[models.Model]
    facts: Callable[[Any], Mapping[str, Any]]
    fact_labels: Mapping[str, StrOrPromise]
    title: Callable[[Any], str]
    url: Callable[[Any], str]
    on_decided: Callable[[Any, str, Actor], None]
    # Who may see the record and who may submit it; by default the record visibility rule on the
    # record's `owner_id`/`team_id` and the ordinary edit right.
    may_view: Callable[[Actor, Any], bool] | None = None
    may_submit: Callable[[Actor, Any], bool] | None = None

    def viewable_by(self, actor: Actor, target: Any) -> bool:
        if self.may_view is not None:
            return self.may_view(actor, target)
        return can_see(actor, owner_id=getattr(target, "owner_id", None), team_id=getattr(target, "team_id", None))

    def submittable_by(self, actor: Actor, target: Any) -> bool:
        if self.may_submit is not None:
            return self.may_submit(actor, target)
        return can_change(actor, target)

    def load(self, target_id: int, *, for_update: bool = False) -> Any:
        """The record, deleted or not (an approval outlives a soft delete), or None."""
        rows = self.model._base_manager.filter(pk=target_id)
        if for_update:
            rows = rows.select_for_update()
        return rows.first()


_subjects: dict[str, ApprovalSubject] = {}


def register_subject(subject: ApprovalSubject) -> None:
    """Called once per kind at start-up; registering the same kind again replaces it (tests, reloads)."""
    _subjects[subject.kind] = subject


def subject_for(kind: str) -> ApprovalSubject:
    subject = _subjects.get(kind)
    if subject is None:
        message = _("Records of type “%(kind)s” cannot be sent for approval.") % {"kind": kind}
        raise ValidationFailed(message, errors=[FieldError(field="kind", message=message)])
    return subject


def registered_subjects() -> list[ApprovalSubject]:
    return sorted(_subjects.values(), key=lambda subject: subject.kind)


def is_registered(kind: str) -> bool:
    return kind in _subjects
