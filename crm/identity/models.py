"""Users, the team tree, roles and API tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel


class Visibility(models.TextChoices):
    OWN = "own", _("Own records")
    TEAM = "team", _("Own team")
    SUBTREE = "subtree", _("Team and sub-teams")
    ALL = "all", _("All records")


class BuiltinRole(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    SALES_DIRECTOR = "sales_director", _("Sales director")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALES_REP = "sales_rep", _("Sales rep")
    PRODUCT_EXPERT = "product_expert", _("Product expert")
    AFTER_SALES = "after_sales", _("After-sales")
    FINANCE = "finance", _("Finance")


class TeamKind(models.TextChoices):
    COMPANY = "company", _("Company")
    DEPARTMENT = "department", _("Department")
    TEAM = "team", _("Team")


class Team(TimeStampedModel):
    """A node of the org tree. `path` lists the ids from the root, so a subtree is one prefix."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=TeamKind, default=TeamKind.TEAM)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="team_unique_name_per_parent")]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 1, 0)


class Role(TimeStampedModel):
    """What a user may see and do. Administrators edit these; built-in roles cannot be deleted."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    visibility = models.CharField(_("record visibility"), max_length=20, choices=Visibility, default=Visibility.OWN)
    masks_contact_info = models.BooleanField(_("mask phone and email of records the user does not own"), default=True)
    can_export = models.BooleanField(_("may export lists"), default=False)
    can_manage_org = models.BooleanField(_("may administer users, teams and roles"), default=False)
    can_view_audit = models.BooleanField(_("may browse the audit log"), default=False)
    can_edit_visible = models.BooleanField(
        _("may edit every record they can see"),
        default=False,
        help_text=_("Otherwise only their own records and, for team managers, their team's."),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.code in BuiltinRole.values:
            return str(BuiltinRole(self.code).label)
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.code in BuiltinRole.values


class CrmUserManager(UserManager["User"]):
    pass


class User(AbstractUser):
    """A person who signs in. Deactivated users keep every record they own."""

    class Language(models.TextChoices):
        CHINESE = "zh-hans", "简体中文"
        ENGLISH = "en", "English"

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True, default="")
    mobile = models.CharField(_("mobile"), max_length=32, blank=True, default="")
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    is_team_manager = models.BooleanField(_("manages the team"), default=False)
    role = models.ForeignKey(
        Role, verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    language = models.CharField(_("language"), max_length=10, choices=Language, default=Language.CHINESE)
    preferences = models.JSONField(_("preferences"), default=dict, blank=True)

    objects: ClassVar[CrmUserManager] = CrmUserManager()

    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="user_unique_email")]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name or self.username


class ApiToken(TimeStampedModel):
    """A personal API token. Only its SHA-256 hash is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LoginAttempt(models.Model):
    """Every sign-in attempt, for throttling repeated failures across all server processes."""

    username = models.CharField(max_length=254)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["username", "created_at"], name="login_attempt_user_time")]

    def __str__(self) -> str:
        return f"{self.username} {self.created_at:%Y-%m-%d %H:%M}"

    objects: ClassVar[models.Manager[Any]] = models.Manager()
