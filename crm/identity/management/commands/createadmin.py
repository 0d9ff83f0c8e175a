"""`crm createadmin`: create (or reset) an administrator who can sign in to the web UI."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from crm.audit.models import Verb
from crm.audit.services import audit_record
from crm.core.actors import system_actor
from crm.identity.models import BuiltinRole, Role, Team, TeamKind, User


class Command(BaseCommand):
    help = "Create an administrator account (asks for the password unless --password is given)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=os.environ.get("CRM_ADMIN_PASSWORD", ""))
        parser.add_argument("--company", default="总公司", help="Name of the root team if none exists yet.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        if len(password) < 8:
            raise CommandError("Use a password of at least 8 characters.")
        with transaction.atomic():
            role = Role.objects.get(code=BuiltinRole.ADMINISTRATOR)
            root = Team.objects.filter(parent__isnull=True).order_by("id").first()
            if root is None:
                root = Team.objects.create(name=options["company"], kind=TeamKind.COMPANY)
                root.path = f"{root.pk:06d}/"
                root.save(update_fields=["path"])
            user, created = User.objects.get_or_create(
                username=options["username"],
                defaults={"email": options["email"], "full_name": options["username"]},
            )
            user.is_superuser = True
            user.is_staff = True
            user.is_active = True
            user.role = role
            user.team = user.team or root
            user.set_password(password)
            user.save()
            audit_record(
                actor=system_actor("createadmin"),
                verb=Verb.CREATE if created else Verb.PASSWORD_CHANGE,
                target=user,
                changes={"is_superuser": [None, True], "role": [None, role.code]},
            )
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} administrator '{user.username}'."))
