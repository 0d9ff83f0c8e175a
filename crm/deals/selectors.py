"""Every read of pipelines and deals; deals through the visibility rule plus collaborators."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.utils.translation import gettext as _

from crm.access.visibility import can_change, scope_of
from crm.core.actors import Actor
from crm.core.errors import NotFound
from crm.core.flag_tables import only_flagged
from crm.core.money_sql import CENT, CentsSum, from_cents
from crm.core.pagination import Page, SortKey, paginate
from crm.core.plan_hints import UnaryPlus, more_than
from crm.core.search import search_filter
from crm.deals.models import (
    ChecklistItem,
    CloseReason,
    Deal,
    DealCollaborator,
    DealContact,
    DealStall,
    Objection,
    ObjectionOutcome,
    ObjectionType,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
    StageTotals,
    StageTransition,
)
from crm.identity.rights import user_of
from crm.identity.selectors import team_subtree_ids

SORTS: dict[str, SortKey] = {
    "-created_at": SortKey("created_at", descending=True),
    "-updated_at": SortKey("updated_at", descending=True),
    "-amount": SortKey("amount", descending=True),
    "name": SortKey("name", descending=False),
}
DEFAULT_SORT = "-created_at"
BOARD_SORT = SortKey("amount", descending=True)
EXPORT_LIMIT = 100_000


# Visibility ------------------------------------------------------------------------------------


def deal_visibility_q(viewer: Actor) -> Q:
    """Deals the viewer sees: by the owner/team rule, or because they are a collaborator."""
    scope = scope_of(viewer)
    condition = scope.q()
    if not scope.sees_all and viewer.user_id is not None:
        shared = _shared_deal_ids(viewer)
        if shared is None:
            # A subquery, not a join: a join would repeat a deal once per collaborator.
            condition |= Q(pk__in=DealCollaborator.objects.filter(user_id=viewer.user_id).values("deal_id"))
        elif shared:
            condition |= Q(pk__in=shared)
    return condition


# Up to this many shared deals are named in the condition; beyond, a subquery finds them.
SHARED_IN_CONDITION = 500


def _shared_deal_ids(viewer: Actor) -> list[int] | None:
    """The deals shared with the viewer (None: too many to list), once per request.

    Most people collaborate on no deal. Leaving the condition out for them lets the database walk
    the owner's sort index; "owner, or shared" makes SQLite gather and sort all of the owner's deals
    (180 ms at 27,000 own deals), even when nothing is shared.
    """
    if viewer.user_id is None:
        return []
    user = user_of(viewer)
    cached: list[int] | None = getattr(user, "_crm_shared_deals", None) if user is not None else None
    if cached is not None:
        return cached
    ids = list(
        DealCollaborator.objects.filter(user_id=viewer.user_id).values_list("deal_id", flat=True)[
            : SHARED_IN_CONDITION + 1
        ]
    )
    shared = ids if len(ids) <= SHARED_IN_CONDITION else None
    if user is not None and shared is not None:
        user._crm_shared_deals = shared  # type: ignore[attr-defined]
    return shared


def visible_deals(viewer: Actor, queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    return queryset.filter(deal_visibility_q(viewer))


def is_collaborator(viewer: Actor, deal: Deal) -> bool:
    if viewer.user_id is None:
        return False
    return DealCollaborator.objects.filter(deal_id=deal.pk, user_id=viewer.user_id).exists()


def deal_may_see(viewer: Actor, deal: Deal) -> bool:
    return scope_of(viewer).allows(deal.owner_id, deal.team_id) or is_collaborator(viewer, deal)


def deal_may_change(actor: Actor, deal: Deal) -> bool:
    """Owners, their managers, roles that edit what they see, and the deal's collaborators."""
    return can_change(actor, deal) or is_collaborator(actor, deal)


# Pipelines -------------------------------------------------------------------------------------


def pipeline_list(*, include_inactive: bool = False) -> QuerySet[Pipeline]:
    pipelines = Pipeline.objects.all()
    if not include_inactive:
        pipelines = pipelines.filter(is_active=True)
    return pipelines.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position").prefetch_related("checklist"))
    )


def pipeline_choices() -> list[Pipeline]:
    """Active pipelines for a filter's select: names only, without their stages."""
    return list(Pipeline.objects.filter(is_active=True).only("pk", "name", "position"))


def pipeline_default() -> Pipeline | None:
    return (
        Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()
        or Pipeline.objects.order_by("position", "id").first()
    )


def pipeline_get(*, pipeline_id: int) -> Pipeline:
    pipeline = pipeline_list(include_inactive=True).filter(pk=pipeline_id).first()
    if pipeline is None:
        raise NotFound(_("This record does not exist or you may not see it."))
    return pipeline


def open_stage_get(*, stage_id: int) -> Stage | None:
    return Stage.objects.select_related("pipeline").filter(pk=stage_id, kind=StageKind.OPEN).first()


def transitions_of(pipeline: Pipeline) -> set[tuple[int, int]]:
    return set(
        StageTransition.objects.filter(from_stage__pipeline=pipeline).values_list("from_stage_id", "to_stage_id")
    )


def close_reasons(kind: str, *, include_inactive: bool = False) -> list[CloseReason]:
    reasons = CloseReason.objects.filter(kind=kind)
    if not include_inactive:
        reasons = reasons.filter(is_active=True)
    return list(reasons.order_by("position", "id"))


# Deals -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealFilters:
    q: str = ""
    pipeline_id: int | None = None
    stage_id: int | None = None
    status: str = ""  # "open", "won", "lost" or "" for all
    owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    close_month: str = ""  # YYYY-MM
    sort: str = DEFAULT_SORT
    deleted: bool = False
    stalled: bool = False

    def as_params(self) -> dict[str, Any]:
        return {key: str(value) for key, value in self.__dict__.items() if value not in (None, "", False)}


def _month_range(month: str) -> tuple[dt.date, dt.date] | None:
    try:
        start = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        return None
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, following


def deal_list(*, viewer: Actor, filters: DealFilters) -> QuerySet[Deal]:
    """Deals `viewer` may see that match `filters` (unordered; paginate or export it)."""
    manager = Deal.all_objects if filters.deleted else Deal.objects
    deals = visible_deals(viewer, manager.all())
    if filters.deleted:
        deals = deals.filter(deleted_at__isnull=False)
    if filters.pipeline_id:
        deals = deals.filter(pipeline_id=filters.pipeline_id)
    if filters.stage_id:
        deals = deals.filter(stage_id=filters.stage_id)
    if filters.status in StageKind.values:
        # A subquery on the few stages rather than a join, so the sort index stays usable.
        deals = deals.filter(stage_id__in=Stage.objects.filter(kind=filters.status).values("pk"))
    if filters.owner_id:
        deals = deals.filter(owner_id=filters.owner_id)
    if filters.team_id:
        deals = deals.filter(team_id__in=team_subtree_ids(filters.team_id))
    if filters.customer_id:
        deals = deals.filter(customer_id=filters.customer_id)
    if filters.close_month:
        months = _month_range(filters.close_month)
        if months is not None:
            in_month = {"expected_close_on__gte": months[0], "expected_close_on__lt": months[1]}
            if more_than(Deal.objects.filter(**in_month)):
                # A busy month (the usual "closing this month"): checking each deal while walking the sort
                # index fills a page at once; gathering the month's tens of thousands of deals and sorting
                # them took 0.2 s at half a million deals on SQLite. A quiet month is gathered.
                close_on = UnaryPlus(F("expected_close_on"), output_field=DateField())
                deals = deals.alias(close_on=close_on).filter(close_on__gte=months[0], close_on__lt=months[1])
            else:
                deals = deals.filter(**in_month)
    if filters.stalled:
        deals = only_flagged(deals, DealStall.objects.all(), flag_key="deal_id", relation="stall")
    if filters.q:
        deals = search_filter(deals, filters.q)
    # Not the pipeline: joining it first makes SQLite give up the pipeline/amount index.
    return deals.select_related("owner", "team", "customer", "stage", "stall")


def deal_page(*, viewer: Actor, filters: DealFilters, cursor: str | None, size: int) -> Page[Deal]:
    deals = deal_list(viewer=viewer, filters=filters)
    return paginate(deals, sort=SORTS.get(filters.sort, SORTS[DEFAULT_SORT]), cursor=cursor, size=size)


def deal_export_rows(*, viewer: Actor, filters: DealFilters) -> Iterator[Deal]:
    sort = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    prefix = "-" if sort.descending else ""
    deals = (
        deal_list(viewer=viewer, filters=filters)
        .select_related("pipeline")
        .order_by(f"{prefix}{sort.field}", f"{prefix}id")
    )
    yield from deals[:EXPORT_LIMIT].iterator(chunk_size=2000)


def deal_get(*, viewer: Actor, deal_id: int, include_deleted: bool = False) -> Deal:
    """One deal `viewer` may see, or NotFound (also when it exists but is hidden)."""
    manager = Deal.all_objects if include_deleted else Deal.objects
    deal = (
        manager.select_related(
            "owner", "team", "customer", "stage", "furthest_stage", "pipeline", "close_reason", "source_lead", "stall"
        )
        .filter(pk=deal_id)
        .first()
    )
    if deal is None or not deal_may_see(viewer, deal):
        raise NotFound(_("This record does not exist or you may not see it."))
    return deal


def deal_contacts(*, deal: Deal) -> list[DealContact]:
    return list(DealContact.objects.filter(deal=deal).select_related("contact").order_by("id"))


def deal_collaborators(*, deal: Deal) -> list[Any]:
    return [link.user for link in DealCollaborator.objects.filter(deal=deal).select_related("user").order_by("id")]


def stage_history(*, deal: Deal) -> list[StageChange]:
    return list(
        StageChange.objects.filter(deal=deal).select_related("from_stage", "to_stage").order_by("moved_at", "id")
    )


def time_in_stages(*, deal: Deal, history: list[StageChange], now: dt.datetime) -> dict[int, dt.timedelta]:
    """Total time the deal spent in each stage (stage id → duration), counting the current stay."""
    spent: dict[int, dt.timedelta] = {}
    for change in history:
        if change.from_stage_id is not None and change.time_in_from_stage is not None:
            spent[change.from_stage_id] = spent.get(change.from_stage_id, dt.timedelta()) + change.time_in_from_stage
    if deal.stage.kind == StageKind.OPEN:
        spent[deal.stage_id] = spent.get(deal.stage_id, dt.timedelta()) + (now - deal.stage_entered_at)
    return spent


def checklist_items(*, stage: Stage) -> list[ChecklistItem]:
    return list(stage.checklist.order_by("position", "id"))


def ticked_item_ids(*, deal: Deal) -> set[int]:
    return set(deal.ticks.values_list("item_id", flat=True))


# The board -------------------------------------------------------------------------------------


@dataclass
class ColumnTotals:
    count: int = 0
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)


def board_totals(*, viewer: Actor, filters: DealFilters) -> dict[int, ColumnTotals]:
    """Count, amount and weighted amount per stage.

    A pipeline filtered by nothing but owner or team reads the running totals (a row per stage, owner
    and team: the viewer's scope and the filters pick rows by the same rule as on the deals), plus the
    deals shared with the viewer outside that scope; anything narrower is summed by one aggregate query
    over the deals it shows.
    """
    if filters.pipeline_id and _by_owner_and_team_only(filters):
        totals = _running_totals(viewer, filters, filters.pipeline_id)
        if totals is not None:
            return totals
    return summed_totals(viewer=viewer, filters=filters)


def summed_totals(*, viewer: Actor, filters: DealFilters) -> dict[int, ColumnTotals]:
    """The board's column totals summed from the deals `viewer` sees that match `filters`."""
    return _summed(deal_list(viewer=viewer, filters=filters))


def _summed(deals: QuerySet[Deal]) -> dict[int, ColumnTotals]:
    # Whole cents, and cents times percent, as the running totals keep them: on SQLite a whole amount
    # is stored as an integer, and `amount * probability / 100` divided as integers (3 × 10 / 100 = 0).
    rows = (
        deals.select_related(None)
        .order_by()
        .values("stage_id")
        .annotate(count=Count("id"), cents=CentsSum("amount"), weighted=CentsSum(F("amount") * F("probability")))
    )
    return {row["stage_id"]: _column(row["count"], row["cents"], row["weighted"]) for row in rows}


def _column(count: int, cents: Any, weighted: Any) -> ColumnTotals:
    return ColumnTotals(
        count=count,
        amount=from_cents(cents),
        # Cents times percent: 10,000ths of the currency unit.
        weighted=(Decimal(weighted or 0) / 10_000).quantize(CENT),
    )


def _by_owner_and_team_only(filters: DealFilters) -> bool:
    kept = DealFilters(pipeline_id=filters.pipeline_id, owner_id=filters.owner_id, team_id=filters.team_id)
    return replace(filters, sort=DEFAULT_SORT) == kept


def _running_totals(viewer: Actor, filters: DealFilters, pipeline_id: int) -> dict[int, ColumnTotals] | None:
    """The totals of the viewer's scope from the running totals; None when too many deals are shared
    with the viewer to name them (summing the deals is then the way)."""
    scope = scope_of(viewer)
    shared: list[int] = []
    if not scope.sees_all:
        found = _shared_deal_ids(viewer)
        if found is None:
            return None
        shared = found
    by_owner_and_team = Q()
    if filters.owner_id:
        by_owner_and_team &= Q(owner_id=filters.owner_id)
    if filters.team_id:
        by_owner_and_team &= Q(team_id__in=team_subtree_ids(filters.team_id))
    rows = (
        StageTotals.objects.filter(scope.q(), by_owner_and_team, stage__pipeline_id=pipeline_id)
        .order_by()
        .values("stage_id")
        .annotate(count=Sum("deal_count"), cents=Sum("amount_cents"), weighted=Sum("weighted_cent_percent"))
    )
    totals = {row["stage_id"]: _column(row["count"], row["cents"], row["weighted"]) for row in rows}
    if shared:
        # Deals shared with the viewer that the scope leaves out: a few, summed one by one.
        outside = Deal.objects.filter(by_owner_and_team, pk__in=shared, pipeline_id=pipeline_id)
        for stage_id, extra in _summed(outside.exclude(scope.q())).items():
            column = totals.setdefault(stage_id, ColumnTotals())
            column.count += extra.count
            column.amount += extra.amount
            column.weighted += extra.weighted
    return totals


CARD_FIELDS = (
    "version",
    "name",
    "currency",
    "amount",
    "expected_close_on",
    "stage_id",
    "owner__username",
    "owner__full_name",
    "customer__name",
    "stall__since",
    "stall__reason",
)


def board_column(*, viewer: Actor, filters: DealFilters, stage: Stage, cursor: str | None, size: int) -> Page[Deal]:
    """The first (or next) cards of one column, biggest deals first."""
    deals = deal_list(viewer=viewer, filters=filters).filter(stage=stage).select_related(None)
    # Only what a card shows: a board builds 80 cards, and turning every column of each deal, owner and
    # customer into Python (a dozen date-times per row) was a third of the page's time.
    deals = deals.select_related("owner", "customer", "stall").only(*CARD_FIELDS)
    return paginate(deals, sort=BOARD_SORT, cursor=cursor, size=size)


def deals_of_customer(*, viewer: Actor, customer_id: int, limit: int = 50) -> list[Deal]:
    deals = visible_deals(viewer, Deal.objects.filter(customer_id=customer_id))
    return list(deals.select_related("stage", "owner").order_by("-created_at", "-id")[:limit])


# Objections ------------------------------------------------------------------------------------


def objection_types() -> list[ObjectionType]:
    return list(ObjectionType.objects.filter(is_active=True).order_by("position", "id"))


def objections_of(*, deal: Deal) -> list[Objection]:
    return list(Objection.objects.filter(deal=deal).select_related("kind", "stage", "logged_by"))


def _with_progress(viewer: Actor, pipeline_id: int | None) -> QuerySet[Objection]:
    """Visible objections, each marked with whether the deal later moved forward or was won."""
    deals = visible_deals(viewer, Deal.all_objects.all())
    if pipeline_id:
        deals = deals.filter(pipeline_id=pipeline_id)
    progressed = StageChange.objects.filter(deal_id=OuterRef("deal_id"), moved_at__gt=OuterRef("raised_at")).filter(
        Q(to_stage__kind=StageKind.WON)
        | Q(to_stage__kind=StageKind.OPEN, to_stage__position__gt=OuterRef("stage__position"))
    )
    return Objection.objects.filter(deal_id__in=deals.values("pk")).annotate(progressed=Exists(progressed))


def objection_analysis(*, viewer: Actor, pipeline_id: int | None) -> dict[str, list[dict[str, Any]]]:
    """The most frequent objections per stage, and how often each answer was followed by progress.

    "Progress" means the deal later moved to a further stage or was won.
    """
    objections = _with_progress(viewer, pipeline_id)
    by_stage: list[dict[str, Any]] = [
        dict(row)
        for row in objections.values("stage__position", "stage__name", "kind__name")
        .annotate(
            count=Count("id"),
            resolved=Count("id", filter=Q(outcome=ObjectionOutcome.RESOLVED)),
            progressed_count=Count("id", filter=Q(progressed=True)),
        )
        .order_by("stage__position", "-count", "kind__name")[:200]
    ]
    by_response: list[dict[str, Any]] = [
        dict(row)
        for row in objections.exclude(response="")
        .values("kind__name", "response")
        .annotate(count=Count("id"), progressed_count=Count("id", filter=Q(progressed=True)))
        .order_by("-count", "kind__name")[:50]
    ]
    for row in [*by_stage, *by_response]:
        row["progress_rate"] = round(100 * row["progressed_count"] / row["count"]) if row["count"] else 0
    return {"by_stage": by_stage, "by_response": by_response}
