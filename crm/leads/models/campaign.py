"""Campaigns (市场活动) and the public web forms that capture leads for them."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.models import TimeStampedModel
from crm.leads.models.lead import Channel

# The lead fields a public form may ask for; `name` is always asked and always required.
WEBFORM_FIELDS = (
    "name",
    "company_name",
    "title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "province",
    "city",
    "industry",
    "notes",
)


def new_public_token() -> str:
    # 32 url-safe characters (192 bits): the form's address cannot be guessed or enumerated.
    return secrets.token_urlsafe(24)


class Campaign(TimeStampedModel):
    """A marketing effort that leads are attributed to; its name is what a lead records."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("lead source"), max_length=20, choices=Channel, default=Channel.WEB_FORM)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        "identity.Team",
        verbose_name=_("default team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class WebForm(TimeStampedModel):
    """A public form for one campaign, reachable at /f/<token>/ and from an embedded snippet."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="web_forms"
    )
    title = models.CharField(_("title"), max_length=100)
    intro = models.CharField(_("introduction"), max_length=500, blank=True, default="")
    fields = models.JSONField(_("fields asked"), default=list)
    required_fields = models.JSONField(_("required fields"), default=list)
    consent_text = models.CharField(_("consent text"), max_length=1000)
    thank_you_message = models.CharField(_("thank-you message"), max_length=1000, blank=True, default="")
    redirect_url = models.URLField(_("redirect after submitting"), max_length=500, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    token = models.CharField(max_length=64, unique=True, default=new_public_token, editable=False)
    submission_count = models.PositiveIntegerField(_("submissions"), default=0, editable=False)
    spam_count = models.PositiveIntegerField(_("dropped as spam"), default=0, editable=False)

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.title

    @property
    def asked_fields(self) -> list[str]:
        """The fields shown, in the catalogue's order, name first."""
        asked = set(self.fields) | {"name"}
        return [field for field in WEBFORM_FIELDS if field in asked]

    @property
    def mandatory_fields(self) -> set[str]:
        return (set(self.required_fields) & set(self.asked_fields)) | {"name"}


class WebFormHit(models.Model):
    """One accepted-or-refused submission attempt, counted for rate limiting across processes."""

    form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        indexes = [
            models.Index(fields=["form", "created_at"], name="webform_hit_form_time"),
            models.Index(fields=["ip_address", "created_at"], name="webform_hit_ip_time"),
        ]

    def __str__(self) -> str:
        return f"{self.form_id} {self.ip_address}"
