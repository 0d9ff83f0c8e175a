"""Who approves a flow step for a given submitter, resolved once at submission.

- a named user: that user;
- a role: every active user holding it (any one of them decides);
- the submitter's manager: the managers of the submitter's team; when it has none (or the submitter
  is its only manager), those of the nearest team above;
- N levels of managers: the same walk up the team tree, collecting N teams that have a manager. Each
  level becomes a sub-step of its own, decided in order (level 1 first): a director never sees a
  request the manager below has not approved yet. Levels beyond the top of the tree are left out.

Nobody approves their own request: the submitter is never an approver. A step whose only possible
approver is the submitter, or with no manager left above the submitter, is skipped and says why.
A step nobody at all could approve (an inactive user, a role nobody holds) refuses the submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from crm.approvals.models import ApprovalStep, ApproverKind, SkipReason
from crm.core.errors import ValidationFailed
from crm.identity.models import User


@dataclass(frozen=True)
class Resolved:
    """One request step to create: its approvers, or why it is skipped."""

    label: str
    level: int | None = None
    approvers: list[User] = field(default_factory=list)
    skip_reason: str = SkipReason.NONE


def team_chain(user: User) -> list[int]:
    """The user's team and every team above it, nearest first (read from the materialised path)."""
    if user.team is None:
        return []
    ids = [int(part) for part in user.team.path.strip("/").split("/") if part]
    return list(reversed(ids)) or [user.team.pk]


def manager_levels(submitter: User, count: int) -> list[list[User]]:
    """Up to `count` groups of managers, one per team with a manager, walking up from the submitter."""
    chain = team_chain(submitter)
    if not chain:
        return []
    managers = list(
        User.objects.filter(is_team_manager=True, is_active=True, team_id__in=chain)
        .exclude(pk=submitter.pk)
        .select_related("team")
        .order_by("pk")
    )
    levels: list[list[User]] = []
    for team_id in chain:
        level = [manager for manager in managers if manager.team_id == team_id]
        if level:
            levels.append(level)
        if len(levels) == count:
            break
    return levels


def _refuse(step: ApprovalStep, reason: str) -> ValidationFailed:
    return ValidationFailed(
        _("Nobody can approve the step “%(step)s”: %(reason)s Ask an administrator to fix the approval flow.")
        % {"step": step.name, "reason": reason}
    )


def resolve(step: ApprovalStep, submitter: User) -> list[Resolved]:
    """The request steps `step` becomes for `submitter` (several for a chain of managers)."""
    if step.approver_kind == ApproverKind.USER:
        user = step.approver_user
        if user is None or not user.is_active:
            raise _refuse(step, _("the approver's account is deactivated."))
        if user.pk == submitter.pk:
            return [Resolved(label=str(user), skip_reason=SkipReason.SUBMITTER)]
        return [Resolved(label=str(user), approvers=[user])]
    if step.approver_kind == ApproverKind.ROLE:
        role = step.approver_role
        if role is None:
            raise _refuse(step, _("no role is chosen."))
        holders = list(User.objects.filter(role=role, is_active=True).order_by("pk"))
        others = [user for user in holders if user.pk != submitter.pk]
        if others:
            return [Resolved(label=role.display_name, approvers=others)]
        if holders:
            return [Resolved(label=role.display_name, skip_reason=SkipReason.SUBMITTER)]
        raise _refuse(step, _("nobody holds the role “%(role)s”.") % {"role": role.display_name})
    if submitter.team_id is None:
        raise _refuse(step, _("you belong to no team, so you have no manager."))
    wanted = step.levels if step.approver_kind == ApproverKind.MANAGER_CHAIN else 1
    levels = manager_levels(submitter, wanted)
    if not levels:
        return [Resolved(label="", skip_reason=SkipReason.TOP_OF_TREE)]
    chain = step.approver_kind == ApproverKind.MANAGER_CHAIN
    return [
        Resolved(
            label=str(managers[0].team) if managers[0].team is not None else "",
            level=number if chain else None,
            approvers=managers,
        )
        for number, managers in enumerate(levels, start=1)
    ]
