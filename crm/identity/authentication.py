"""Sign in with a username or an email address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from crm.identity.models import User


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        login = username.strip()
        user = User.objects.filter(Q(username__iexact=login) | (Q(email__iexact=login) & ~Q(email=""))).first()
        if user is None:
            # Spend the same time as a real check so response time does not reveal usernames.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
