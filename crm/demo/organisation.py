"""The demo organisation: a company with three regions of two sales teams each, and users for every role."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from crm.demo import vocabulary as words
from crm.identity.models import BuiltinRole, Role, Team, TeamKind, User

DEMO_PASSWORD = "demo1234"  # noqa: S105  (printed on purpose: these are demo accounts)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    team: str


def _team(name: str, kind: str, parent: Team | None) -> Team:
    team = Team.objects.create(name=name, kind=kind, parent=parent)
    team.path = f"{parent.path if parent else ''}{team.pk:06d}/"
    team.save(update_fields=["path"])
    return team


def build_organisation() -> tuple[list[User], list[DemoLogin]]:
    """Teams company → regions → teams, and users for every built-in role. Returns the reps."""
    roles = {role.code: role for role in Role.objects.all()}
    password = make_password(DEMO_PASSWORD)
    company = _team("星河科技集团", TeamKind.COMPANY, None)
    logins: list[DemoLogin] = []
    reps: list[User] = []

    def user(username: str, full_name: str, role: str, team: Team, *, manager: bool = False) -> User:
        account = User.objects.create(
            username=username,
            full_name=full_name,
            email=f"{username}@demo.crm",
            password=password,
            role=roles[role],
            team=team,
            is_team_manager=manager,
            is_superuser=role == BuiltinRole.ADMINISTRATOR,
            is_staff=role == BuiltinRole.ADMINISTRATOR,
        )
        logins.append(DemoLogin(username=username, role=str(roles[role].display_name), team=team.name))
        return account

    user("admin", "系统管理员", BuiltinRole.ADMINISTRATOR, company)
    user("director", "赵总监", BuiltinRole.SALES_DIRECTOR, company, manager=True)
    user("finance", "钱会计", BuiltinRole.FINANCE, company)
    regions = [
        ("华东大区", ["上海一组", "杭州组"]),
        ("华北大区", ["北京一组", "天津组"]),
        ("华南大区", ["深圳组", "广州组"]),
    ]
    rep_number = 0
    for region_index, (region_name, team_names) in enumerate(regions, start=1):
        region = _team(region_name, TeamKind.DEPARTMENT, company)
        user(
            f"regional{region_index}",
            f"{words.SURNAMES[region_index]}经理",
            BuiltinRole.SALES_MANAGER,
            region,
            manager=True,
        )
        for team_name in team_names:
            team = _team(team_name, TeamKind.TEAM, region)
            rep_number += 1
            user(
                f"manager{rep_number}",
                f"{words.SURNAMES[rep_number + 3]}组长",
                BuiltinRole.SALES_MANAGER,
                team,
                manager=True,
            )
            for seat in range(3):
                number = (rep_number - 1) * 3 + seat + 1
                reps.append(
                    user(
                        f"rep{number}",
                        f"{words.SURNAMES[number % 20]}{words.GIVEN_NAMES[number % 30]}",
                        BuiltinRole.SALES_REP,
                        team,
                    )
                )
    user("expert", "孙专家", BuiltinRole.PRODUCT_EXPERT, company)
    user("service", "周售后", BuiltinRole.AFTER_SALES, company)
    return reps, logins
