"""Who performs an operation, and through which channel, as services and audit see it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    SYSTEM = "system", _("System")


@dataclass(frozen=True)
class Actor:
    """A user acting through a channel, or a named system process when `user` is None."""

    user: AbstractBaseUser | None
    source: Source
    system_name: str = ""

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def label(self) -> str:
        if self.user is not None:
            return str(self.user)
        return self.system_name or "system"


def _signed_in(user: AbstractBaseUser | AnonymousUser) -> AbstractBaseUser:
    if not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        # Entry points require sign-in before building an actor; reaching this is a wiring bug.
        raise PermissionError("an anonymous request cannot act")
    return user


def web_actor(user: AbstractBaseUser | AnonymousUser) -> Actor:
    return Actor(user=_signed_in(user), source=Source.WEB)


def api_actor(user: AbstractBaseUser | AnonymousUser) -> Actor:
    return Actor(user=_signed_in(user), source=Source.API)


def system_actor(name: str) -> Actor:
    """A named process (a scheduled job, an automation rule) acting with full rights."""
    return Actor(user=None, source=Source.SYSTEM, system_name=name)
