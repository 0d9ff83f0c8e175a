"""Pipelines, their stages and stage rules, deals and each deal's stage history."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.models import SoftDeleteModel, TimeStampedModel, VersionedModel
from crm.customers.models import DealRole


class StageKind(models.TextChoices):
    OPEN = "open", pgettext_lazy("stage kind", "Open")
    WON = "won", pgettext_lazy("stage kind", "Won")
    LOST = "lost", pgettext_lazy("stage kind", "Lost")


class CloseKind(models.TextChoices):
    WON = "won", pgettext_lazy("stage kind", "Won")
    LOST = "lost", pgettext_lazy("stage kind", "Lost")


class StallReason(models.TextChoices):
    STAGE_OVERDUE = "stage_overdue", _("longer in its stage than expected")
    NO_FOLLOW_UP = "no_follow_up", _("no follow-up for too long")


class Pipeline(TimeStampedModel):
    """An ordered set of stages a kind of deal goes through (new business, renewal …)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        return self.name


class Stage(TimeStampedModel):
    """One step of a pipeline with its default probability and entry requirements (SOP)."""

    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=50)
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=StageKind, default=StageKind.OPEN)
    probability = models.PositiveSmallIntegerField(_("default probability (%)"), default=0)
    expected_days = models.PositiveIntegerField(_("expected days in stage"), default=14)
    # A deal in this stage with no follow-up on its customer for this many days is stalled (0: no check).
    follow_up_days = models.PositiveIntegerField(_("days without follow-up before a deal stalls"), default=0)
    # Codes from crm.deals.stage_rules.FIELD_RULES / EVIDENCE_RULES a deal must satisfy to enter.
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    required_evidence = models.JSONField(_("required evidence"), default=list, blank=True)
    allows_override = models.BooleanField(_("managers may override"), default=False)

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "position"], name="stage_unique_position"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_max_100"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.kind == StageKind.OPEN


class StageTransition(models.Model):
    """An allowed move; any move not in this table is refused."""

    from_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="transitions_out")
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="transitions_in")

    class Meta:
        ordering = ["from_stage", "to_stage"]
        verbose_name = _("allowed move")
        verbose_name_plural = _("allowed moves")
        constraints = [models.UniqueConstraint(fields=["from_stage", "to_stage"], name="stage_transition_unique")]

    def __str__(self) -> str:
        return f"{self.from_stage_id} → {self.to_stage_id}"


class ChecklistItem(TimeStampedModel):
    """Something the rep confirms by ticking it before the deal may enter `stage`."""

    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="checklist")
    label = models.CharField(_("item"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["stage", "position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.label


class CloseReason(TimeStampedModel):
    """An administrator-defined reason for winning or losing a deal."""

    kind = models.CharField(_("kind"), max_length=10, choices=CloseKind)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["kind", "position", "id"]
        verbose_name = _("close reason")
        verbose_name_plural = _("close reasons")
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="close_reason_unique_name")]

    def __str__(self) -> str:
        return self.name


class Deal(SoftDeleteModel, VersionedModel, TimeStampedModel):
    """A potential sale to a customer, moving through the stages of one pipeline."""

    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="deals"
    )
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    # The furthest open or won stage (highest position) the deal has ever been in, kept by every service
    # that moves it and only ever moved forward: the sales funnel counts deals by it instead of reading
    # each deal's stage history.
    furthest_stage = models.ForeignKey(
        Stage,
        verbose_name=_("furthest stage reached"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # served by the deal_funnel index below; nothing looks deals up by it alone
    )
    # The stage a lost deal was lost from (where its last move into a lost stage came from), kept by every
    # service that moves it and cleared when it leaves the lost stage: the win/loss analysis counts lost
    # deals by it instead of reading each deal's stage history.
    lost_from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("lost from stage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # served by the deal_closed index below; nothing looks deals up by it alone
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    budget = models.DecimalField(_("customer budget"), max_digits=16, decimal_places=2, null=True, blank=True)
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0)
    is_probability_manual = models.BooleanField(_("probability set by hand"), default=False)
    stage_entered_at = models.DateTimeField(_("in stage since"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.ForeignKey(
        CloseReason, verbose_name=_("close reason"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_note = models.CharField(_("close note"), max_length=500, blank=True, default="")
    competitor = models.CharField(_("competitor"), max_length=100, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collaborators"),
        through="DealCollaborator",
        blank=True,
        related_name="+",
    )
    source_lead = models.ForeignKey(
        "leads.Lead", verbose_name=_("source lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    external_id = models.CharField(_("external ID"), max_length=100, null=True, blank=True)
    search_text = models.TextField(default="", editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=Q(external_id__isnull=False), name="deal_unique_external_id"
            ),
            models.CheckConstraint(condition=Q(probability__lte=100), name="deal_probability_max_100"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
        ]
        indexes = [
            # The board: one column's first cards, biggest first, and the column totals.
            models.Index(
                fields=["stage", "-amount", "-id"], condition=Q(deleted_at__isnull=True), name="deal_stage_amount"
            ),
            models.Index(
                fields=["pipeline", "stage", "amount", "probability", "id", "deleted_at"],
                condition=Q(deleted_at__isnull=True),
                name="deal_pipeline_totals",
            ),
            # The same totals for one owner's board (the owner filter, a rep's own deals): read from the
            # index alone; through deal_pipeline_totals SQLite fetched every deal's row to check its owner
            # (1.5 s at 500,000 deals in the pipeline).
            models.Index(
                fields=["owner", "pipeline", "stage", "amount", "probability", "id", "deleted_at"],
                condition=Q(deleted_at__isnull=True),
                name="deal_owner_totals",
            ),
            # Lists of one pipeline, largest first (the API's and the list's "-amount" sort).
            models.Index(
                fields=["pipeline", "-amount", "-id"], condition=Q(deleted_at__isnull=True), name="deal_pipeline_amount"
            ),
            # The list's "-amount" and "name" sorts across pipelines; without them SQLite sorts every deal.
            models.Index(fields=["-amount", "-id"], condition=Q(deleted_at__isnull=True), name="deal_amount"),
            models.Index(fields=["name", "id"], condition=Q(deleted_at__isnull=True), name="deal_name"),
            # The sales funnel: one pipeline's deals created in a period, counted and summed by furthest stage
            # from the index alone (owner and team for the visibility rule and the filters; deleted_at, always
            # empty, for SQLite, as in deal_closed).
            models.Index(
                fields=["pipeline", "created_at", "furthest_stage", "amount", "owner", "team", "deleted_at"],
                condition=Q(deleted_at__isnull=True),
                name="deal_funnel",
            ),
            # The win/loss analysis: the deals closed in a period, counted and summed by outcome, reason, stage
            # lost from, owner, competitor and amount, from the index alone (pipeline and team for the filters
            # and the visibility rule, the id for PostgreSQL's counts, deleted_at (always empty) because SQLite
            # reads an index alone only when it holds every column the query names). Four of five deals are
            # closed: without it every figure reads the table.
            models.Index(
                fields=[
                    "closed_at",
                    "pipeline",
                    "stage",
                    "amount",
                    "owner",
                    "team",
                    "close_reason",
                    "lost_from_stage",
                    "competitor",
                    "id",
                    "deleted_at",
                ],
                condition=Q(deleted_at__isnull=True, closed_at__isnull=False),
                name="deal_closed",
            ),
            models.Index(fields=["-created_at", "-id"], name="deal_created"),
            # The list and API filtered by one stage, newest first (the board uses the amount index above).
            models.Index(fields=["stage", "-created_at", "-id"], name="deal_stage_created"),
            models.Index(fields=["-updated_at", "-id"], name="deal_updated"),
            models.Index(fields=["owner", "-created_at", "-id"], name="deal_owner_created"),
            # A rep's own deals in each order the list offers, without sorting all of them.
            models.Index(
                fields=["owner", "-amount", "-id"], condition=Q(deleted_at__isnull=True), name="deal_owner_amount"
            ),
            models.Index(fields=["owner", "name", "id"], condition=Q(deleted_at__isnull=True), name="deal_owner_name"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="deal_owner_updated"),
            models.Index(fields=["team", "-created_at", "-id"], name="deal_team_created"),
            models.Index(fields=["customer", "-created_at"], name="deal_customer"),
            models.Index(fields=["expected_close_on", "id"], name="deal_close_on"),
            models.Index(
                fields=["-updated_at", "-id"], condition=Q(deleted_at__isnull=False), name="deal_deleted_updated"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.stage.kind == StageKind.OPEN

    @property
    def stalled(self) -> DealStall | None:
        """The stall flag, or None. Lists select it with the deal (`select_related("stall")`)."""
        return getattr(self, "stall", None)

    @property
    def stalled_since(self) -> dt.datetime | None:
        return self.stalled.since if self.stalled is not None else None

    @property
    def weighted_amount(self) -> object:
        return self.amount * self.probability / 100


class StageTotals(models.Model):
    """Running totals of the deals of one owner and team in one stage (recycle bin left out): the
    board's column headers.

    The board of a pipeline seen whole sums every deal ever won or lost; at half a million deals that
    was a quarter of a second per request, and a manager's board summed the team's deals on every view.
    A row per stage, owner and team lets the board add up the few rows the viewer's scope and the
    owner or team filter select (the same rule as on the deals). The deal services add each change
    here in the same transaction (see crm.deals.stage_totals); `stage_totals_refresh` recomputes them
    for rows written in bulk around the services. Money is kept in whole cents, and the weighted
    amount as cents times the probability, so both stay exact integers when added in SQL (SQLite adds
    decimals as floats).
    """

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+", verbose_name=_("stage"))
    # Plain ids rather than foreign keys: the rows are sums, never joined to a user or team, and 0
    # stands for "no team" so that the unique key holds without NULLs (which would not be equal).
    owner_id = models.BigIntegerField(_("owner"))
    team_id = models.BigIntegerField(_("team"), default=0)
    deal_count = models.BigIntegerField(_("deals"), default=0)
    amount_cents = models.DecimalField(_("amount in cents"), max_digits=38, decimal_places=0, default=0)
    weighted_cent_percent = models.DecimalField(
        _("weighted amount in cents times probability"), max_digits=38, decimal_places=0, default=0
    )

    class Meta:
        verbose_name = _("stage totals")
        verbose_name_plural = _("stage totals")
        constraints = [
            models.UniqueConstraint(fields=["stage", "owner_id", "team_id"], name="stage_totals_stage_owner_team")
        ]

    def __str__(self) -> str:
        return f"totals of stage {self.stage_id}, owner {self.owner_id}, team {self.team_id}"


class DealStall(models.Model):
    """A deal the stalled-deal check (crm.deals.stalling) flagged, and whom it has told.

    A narrow table of its own rather than columns on the deal: flagging most of a million deals on a
    first run then inserts small rows instead of rewriting every wide deal row and all its indexes
    (PostgreSQL cannot update a row in place when an indexed column changes).
    """

    deal = models.OneToOneField(
        Deal, primary_key=True, on_delete=models.CASCADE, related_name="stall", verbose_name=_("deal")
    )
    since = models.DateTimeField(_("stalled since"))
    reason = models.CharField(_("why stalled"), max_length=30, choices=StallReason)
    owner_told_at = models.DateTimeField(null=True, blank=True)
    manager_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stalled-deal flag")
        verbose_name_plural = _("stalled-deal flags")

    def __str__(self) -> str:
        return f"stall {self.deal_id}"


class DealCollaborator(models.Model):
    """A user the deal is shared with: they see and edit it like its owner."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="collaborator_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        constraints = [models.UniqueConstraint(fields=["deal", "user"], name="deal_collaborator_unique")]
        indexes = [models.Index(fields=["user", "deal"], name="deal_collaborator_user")]

    def __str__(self) -> str:
        return f"{self.deal_id}:{self.user_id}"


class DealContact(models.Model):
    """A contact of the customer and the part they play in this deal."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey(
        "customers.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role in the deal"), max_length=20, choices=DealRole, blank=True, default="")

    class Meta:
        ordering = ["deal", "id"]
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")
        constraints = [models.UniqueConstraint(fields=["deal", "contact"], name="deal_contact_unique")]

    def __str__(self) -> str:
        return f"{self.deal_id}:{self.contact_id}"


class ChecklistTick(models.Model):
    """A checklist item the rep confirmed for a deal."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="ticks")
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="+")
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    ticked_at = models.DateTimeField(_("ticked at"))

    class Meta:
        verbose_name = _("checklist tick")
        verbose_name_plural = _("checklist ticks")
        constraints = [models.UniqueConstraint(fields=["deal", "item"], name="checklist_tick_unique")]

    def __str__(self) -> str:
        return f"{self.deal_id}:{self.item_id}"


class StageChange(models.Model):
    """One move of a deal: who, when, from where to where, how long it sat in the old stage."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, verbose_name=_("from"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(_("moved at"))
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("moved by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("moved by"), max_length=150)
    time_in_from_stage = models.DurationField(_("time in previous stage"), null=True, blank=True)
    override_reason = models.CharField(_("override reason"), max_length=500, blank=True, default="")
    # A copy of the deal's creation time (which never changes), so the sales funnel finds the moves of the
    # deals created in a period in one index range instead of looking up each deal of the period. Empty only
    # on rows written before it existed and not yet filled (migration 0021 fills them).
    deal_created_at = models.DateTimeField(_("deal created at"), null=True, blank=True)

    class Meta:
        ordering = ["deal", "moved_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [
            models.Index(fields=["deal", "moved_at", "id"], name="stage_change_deal"),
            # The sales funnel's time in each stage, read from the index alone for a cohort of deals.
            models.Index(
                fields=["deal", "from_stage", "time_in_from_stage"],
                condition=Q(time_in_from_stage__isnull=False),
                name="stage_change_time",
            ),
            # The sales funnel's time in each stage for every deal of a period: one range per stage, read
            # from the index alone (the deal id to leave out deals in the recycle bin).
            models.Index(
                fields=["from_stage", "deal_created_at", "time_in_from_stage", "deal"],
                condition=Q(time_in_from_stage__isnull=False),
                name="stage_change_cohort",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


class ObjectionType(TimeStampedModel):
    """An administrator-defined kind of customer objection (price, timing, competitor …)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("objection type")
        verbose_name_plural = _("objection types")

    def __str__(self) -> str:
        return self.name


class ObjectionOutcome(models.TextChoices):
    OPEN = "open", pgettext_lazy("objection outcome", "Open")
    RESOLVED = "resolved", _("Resolved")
    UNRESOLVED = "unresolved", _("Not resolved")


class Objection(TimeStampedModel):
    """A concern the customer raised on a deal, what was answered, and how it ended."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="objections")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+")
    kind = models.ForeignKey(ObjectionType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="+")
    customer_words = models.TextField(_("customer's words"))
    response = models.TextField(_("response given"), blank=True, default="")
    outcome = models.CharField(_("outcome"), max_length=20, choices=ObjectionOutcome, default=ObjectionOutcome.OPEN)
    raised_at = models.DateTimeField(_("raised at"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        indexes = [
            models.Index(fields=["deal", "-raised_at"], name="objection_deal"),
            models.Index(fields=["stage", "kind"], name="objection_stage_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind_id}: {self.customer_words[:40]}"
