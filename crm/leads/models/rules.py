"""Admin-defined lead rules: entry criteria, scoring rules, the learned scoring model, assignment.

Conditions are stored as JSON in the format of crm.leads.conditions and validated by the
services before they are saved; the models themselves hold no logic.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderedRule(models.Model):
    """A rule in an admin-ordered list; lower `position` is tried first."""

    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=100)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    is_active = models.BooleanField(pgettext_lazy("rule", "enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class EntryCriterion(OrderedRule):
    """A condition every new lead must meet to enter the lead pool; failing routes it to unqualified."""

    reason = models.CharField(
        _("reason shown when not met"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Leave empty to show the opposite of the condition, e.g. “annual revenue < 10,000,000”."),
    )

    class Meta(OrderedRule.Meta):
        verbose_name = _("entry criterion")
        verbose_name_plural = _("entry criteria")
        indexes = [models.Index(fields=["is_active", "position", "id"], name="entry_criterion_order")]


class ScoreKind(models.TextChoices):
    FIT = "fit", _("Fit (who the lead is)")
    ENGAGEMENT = "engagement", _("Engagement (what the lead did)")


class ScoringRule(OrderedRule):
    """Points added (or taken) when a lead meets the conditions; engagement points may decay."""

    kind = models.CharField(_("kind"), max_length=20, choices=ScoreKind, default=ScoreKind.FIT)
    points = models.IntegerField(_("points"))
    half_life_days = models.PositiveIntegerField(
        _("half-life in days"),
        null=True,
        blank=True,
        help_text=_("Engagement points halve every this many days since the lead was last touched."),
    )

    class Meta(OrderedRule.Meta):
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        indexes = [models.Index(fields=["is_active", "position", "id"], name="scoring_rule_order")]


class ScoringModel(models.Model):
    """One training run of the learned score: coefficients, feature names and held-out metrics."""

    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)
    feature_names = models.JSONField(_("features"), default=list)
    coefficients = models.JSONField(_("coefficients"), default=list)
    intercept = models.FloatField(_("intercept"), default=0.0)
    # {"auc", "n_train", "n_test", "positives", "negatives", "deciles": [...], "cutoff"}.
    metrics = models.JSONField(_("metrics"), default=dict)
    is_active = models.BooleanField(_("in use"), default=False)

    class Meta:
        ordering = ["-trained_at", "-id"]
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        indexes = [models.Index(fields=["is_active", "-trained_at"], name="scoring_model_active")]

    def __str__(self) -> str:
        return f"{self.trained_at:%Y-%m-%d %H:%M}"


class AssignmentStrategy(models.TextChoices):
    USER = "user", _("A named user")
    TEAM = "team", _("Round robin within a team")
    ROUND_ROBIN = "round_robin", _("Round robin over chosen users")
    LEAST_LOADED = "least_loaded", _("Fewest open leads")
    WEIGHTED = "weighted", _("Weighted over chosen users")


class AssignmentRule(OrderedRule):
    """Who gets a new lead that meets the conditions; the first matching rule with a free rep wins.

    The row is also the lock that serialises assignment: the round-robin pointer
    (`last_user_id`) and the weighted-round-robin state live here and change only under
    SELECT ... FOR UPDATE.
    """

    strategy = models.CharField(_("strategy"), max_length=20, choices=AssignmentStrategy)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "identity.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_user_id = models.BigIntegerField(null=True, blank=True, editable=False)
    # Smooth weighted round robin: {user_id: current weight}.
    weight_state = models.JSONField(default=dict, blank=True, editable=False)

    class Meta(OrderedRule.Meta):
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        indexes = [models.Index(fields=["is_active", "position", "id"], name="assignment_rule_order")]


class AssignmentMember(models.Model):
    """A user taking part in a round-robin, least-loaded or weighted rule."""

    rule = models.ForeignKey(AssignmentRule, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    weight = models.PositiveIntegerField(_("weight"), default=1)

    class Meta:
        ordering = ["rule", "id"]
        verbose_name = _("assignment member")
        verbose_name_plural = _("assignment members")
        constraints = [models.UniqueConstraint(fields=["rule", "user"], name="assignment_member_unique")]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.user_id}"


class RepCapacity(models.Model):
    """How many open leads a rep may hold before assignment rules pass them over."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="lead_capacity"
    )
    max_open_leads = models.PositiveIntegerField(_("maximum open leads"))

    class Meta:
        verbose_name = _("rep capacity")
        verbose_name_plural = _("rep capacities")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.max_open_leads}"
