"""Merging two duplicate records into one, and undoing a merge.

The survivor keeps the values chosen per field, the other record goes to the recycle bin,
and every row that pointed at it (follow-ups, contacts, leads' conversion links, deals,
tasks…) is re-pointed to the survivor with one UPDATE per relation. Relations are found
through the model registry, so records added by apps above this one move too without this
module knowing them. The Merge row keeps what an undo needs: the survivor's old values and
the ids moved per relation, so undo moves back exactly those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from crm.access.visibility import masks_contact_info, require_change, require_visible
from crm.audit.models import Verb
from crm.audit.services import audit_record, diff, save_versioned, snapshot
from crm.core import clock
from crm.core.actors import Actor
from crm.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from crm.core.events import publish_on_commit
from crm.customers.duplicates.sources import source_of
from crm.customers.events import CustomerFollowUpsMoved
from crm.customers.models import Merge
from crm.customers.services import derived_columns_refresh

# Never taken from the other record: who owns it, its external identity, derived columns.
ALWAYS_KEPT = frozenset({"owner", "team", "external_id", "search_text", "name_key"})
MASKED_FIELDS = frozenset({"phone", "mobile", "email"})


@dataclass(frozen=True)
class FieldChoice:
    """One row of the merge screen: a field, both values, and which one the default keeps."""

    name: str
    label: str
    survivor_value: Any
    loser_value: Any
    default: str  # "survivor" or "loser"

    @property
    def differs(self) -> bool:
        return bool(self.survivor_value != self.loser_value)


def merge_fields(model: type[models.Model], unmerged: frozenset[str] = frozenset()) -> list[models.Field[Any, Any]]:
    """The fields a user chooses between: editable columns of the model, minus the kept ones."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable
        and not field.primary_key
        and field.name not in ALWAYS_KEPT
        and field.name not in unmerged
        and not isinstance(field, models.JSONField)
    ]


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


def _empty(value: Any) -> bool:
    return value is None or value == ""


def field_choices(survivor: models.Model, loser: models.Model, object_type: str) -> list[FieldChoice]:
    """Both records side by side; each default is the newer record's value unless it is empty."""
    source = source_of(object_type)
    loser_newer = cast(Any, loser).updated_at > cast(Any, survivor).updated_at
    rows = []
    for field in merge_fields(source.model, source.unmerged):
        mine, theirs = getattr(survivor, field.attname), getattr(loser, field.attname)
        default = "loser" if not _empty(theirs) and (_empty(mine) or loser_newer) else "survivor"
        rows.append(FieldChoice(field.name, str(field.verbose_name), mine, theirs, default))
    return rows


def _relations(model: type[models.Model]) -> list[tuple[type[models.Model], models.Field[Any, Any]]]:
    """Every foreign key in the project that points at `model` (including `related_name="+"` ones)."""
    return [
        (other, field)
        for other in apps.get_models()
        for field in other._meta.concrete_fields
        if field.is_relation and (field.many_to_one or field.one_to_one) and field.related_model is model
    ]


def _relation_key(model: type[models.Model], field: models.Field[Any, Any]) -> str:
    return f"{model._meta.label}.{field.name}"


def _move(model: type[models.Model], field: models.Field[Any, Any], ids: list[int], target: int) -> None:
    manager = model._base_manager  # the recycle bin's rows move too
    for start in range(0, len(ids), 500):
        manager.filter(pk__in=ids[start : start + 500]).update(**{field.attname: target})


def _derive(object_type: str, record: models.Model) -> dict[str, Any]:
    derive = source_of(object_type).derive
    return derive(record) if derive is not None else derived_columns_refresh(record)


def _locked(actor: Actor, object_type: str, record_id: int, *, deleted: bool = False) -> Any:
    model = source_of(object_type).model
    manager = cast(Any, model).all_objects
    record = require_visible(actor, manager.filter(pk=record_id, deleted_at__isnull=not deleted).first())
    require_change(actor, record)
    return record


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(field=field, message=message)])


def _follow_ups_moved(object_type: str, survivor: Any, loser: Any, *, merged: bool) -> None:
    """A customer's follow-ups moved: its last follow-up time (owned by activities) must follow.

    On a merge the survivor's is simply the later of the two, set at once; the activities app then
    recomputes both from the follow-ups themselves after commit (the only way after an undo).
    """
    if object_type != "customers":
        return
    if merged and loser.last_follow_up_at is not None:
        latest = max(filter(None, [survivor.last_follow_up_at, loser.last_follow_up_at]))
        type(survivor).all_objects.filter(pk=survivor.pk).update(last_follow_up_at=latest)
        survivor.last_follow_up_at = latest
    publish_on_commit(CustomerFollowUpsMoved(customer_ids=(survivor.pk, loser.pk)))


def records_merge(
    *,
    actor: Actor,
    object_type: str,
    survivor_id: int,
    loser_id: int,
    survivor_version: int,
    loser_version: int,
    keep_from_loser: set[str] | frozenset[str] = frozenset(),
) -> Merge:
    """Merge record `loser_id` into `survivor_id`, taking the fields named in `keep_from_loser`.

    Both records must be changeable by the actor and still at the versions the actor saw;
    otherwise the usual Conflict lists what changed.
    """
    if survivor_id == loser_id:
        raise _invalid("loser_id", _("Choose two different records to merge."))
    source = source_of(object_type)
    allowed = {field.name for field in merge_fields(source.model, source.unmerged)}
    unknown = set(keep_from_loser) - allowed
    if unknown:
        raise _invalid(
            "fields", _("These fields cannot be merged: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        survivor = _locked(actor, object_type, survivor_id)
        loser = _locked(actor, object_type, loser_id)
        # A version check that writes nothing: a newer version raises the usual Conflict.
        save_versioned(actor=actor, instance=survivor, expected_version=survivor_version, before={}, after={})
        save_versioned(actor=actor, instance=loser, expected_version=loser_version, before={}, after={})
        for record in (survivor, loser):
            masked = MASKED_FIELDS & set(keep_from_loser)
            if masked and masks_contact_info(actor, owner_id=record.owner_id):
                raise _invalid(sorted(masked)[0], _("You may not change this field of a record you do not own."))
        taken = sorted(keep_from_loser)
        before = snapshot(survivor, taken)
        for name in taken:
            field = _field(source.model, name)
            setattr(survivor, field.attname, getattr(loser, field.attname))
        after = snapshot(survivor, taken)
        changed = diff(before, after)
        columns = {
            _field(source.model, name).attname: getattr(survivor, _field(source.model, name).attname)
            for name in changed
        }
        now = clock.now()
        columns.update(_derive(object_type, survivor))
        manager = cast(Any, source.model).all_objects
        if not manager.filter(pk=survivor.pk, version=survivor_version).update(
            **columns, updated_at=now, version=F("version") + 1
        ):
            raise Conflict(_("Someone else saved this record after you opened it. Review their changes and try again."))
        if not manager.filter(pk=loser.pk, version=loser_version, deleted_at__isnull=True).update(
            deleted_at=now, updated_at=now, version=F("version") + 1
        ):
            raise Conflict(_("Someone else saved this record after you opened it. Review their changes and try again."))
        survivor.version, loser.version = survivor_version + 1, loser_version + 1
        moved: dict[str, list[int]] = {}
        for model, field in _relations(source.model):
            ids = list(model._base_manager.filter(**{field.attname: loser.pk}).values_list("pk", flat=True))
            if ids:
                _move(model, field, ids, survivor.pk)
                moved[_relation_key(model, field)] = ids
        for field in source.model._meta.many_to_many:
            # Labels such as tags: the survivor gets the ones only the other record had.
            mine = set(getattr(survivor, field.name).values_list("pk", flat=True))
            added = sorted(set(getattr(loser, field.name).values_list("pk", flat=True)) - mine)
            if added:
                getattr(survivor, field.name).add(*added)
                moved[f"m2m:{field.name}"] = added
        _follow_ups_moved(object_type, survivor, loser, merged=True)
        merge = Merge.objects.create(
            object_type=object_type,
            survivor_id=survivor.pk,
            loser_id=loser.pk,
            survivor_before={key: values[0] for key, values in changed.items()},
            survivor_after={key: values[1] for key, values in changed.items()},
            moved=moved,
            merged_by_id=actor.user_id,
        )
        counts = {key: len(ids) for key, ids in moved.items()}
        audit_record(
            actor=actor,
            verb=Verb.MERGE,
            target=survivor,
            changes={**changed, "merged_from": [None, loser.pk], "moved": counts},
        )
        audit_record(actor=actor, verb=Verb.MERGE, target=loser, changes={"merged_into": [None, survivor.pk]})
    return merge


def merge_undo(*, actor: Actor, merge_id: int) -> Merge:
    """Put both records back as they were before the merge, and move back exactly the moved rows."""
    with transaction.atomic():
        merge = Merge.objects.select_for_update().filter(pk=merge_id).first()
        if merge is None:
            raise NotFound(_("This merge does not exist."))
        if merge.undone_at is not None:
            raise ValidationFailed(_("This merge has already been undone."))
        source = source_of(merge.object_type)
        survivor = _locked(actor, merge.object_type, merge.survivor_id)
        loser = _locked(actor, merge.object_type, merge.loser_id, deleted=True)
        now = clock.now()
        fields = sorted(merge.survivor_before)
        before = snapshot(survivor, fields)
        columns: dict[str, Any] = {}
        for name in fields:
            field = _field(source.model, name)
            value = field.to_python(merge.survivor_before[name])
            setattr(survivor, field.attname, value)
            columns[field.attname] = value
        columns.update(_derive(merge.object_type, survivor))
        manager = cast(Any, source.model).all_objects
        manager.filter(pk=survivor.pk).update(**columns, updated_at=now, version=F("version") + 1)
        manager.filter(pk=loser.pk).update(deleted_at=None, updated_at=now, version=F("version") + 1)
        relations = {_relation_key(model, field): (model, field) for model, field in _relations(source.model)}
        for key, ids in merge.moved.items():
            if key.startswith("m2m:"):
                getattr(survivor, key.removeprefix("m2m:")).remove(*ids)
            elif key in relations:
                model, field = relations[key]
                # Only rows still on the survivor: one moved elsewhere since stays where it is.
                still = list(
                    model._base_manager.filter(pk__in=ids, **{field.attname: survivor.pk}).values_list("pk", flat=True)
                )
                _move(model, field, still, loser.pk)
        _follow_ups_moved(merge.object_type, survivor, loser, merged=False)
        merge.undone_at = now
        merge.save(update_fields=["undone_at"])
        after = snapshot(survivor, fields)
        audit_record(
            actor=actor,
            verb=Verb.UNMERGE,
            target=survivor,
            changes={**diff(before, after), "unmerged": [loser.pk, None]},
        )
        audit_record(actor=actor, verb=Verb.UNMERGE, target=loser, changes={"merged_into": [survivor.pk, None]})
    return merge


def mergeable_record(*, actor: Actor, object_type: str, record_id: int) -> Any:
    """A live record of `object_type` the actor may see (NotFound otherwise), for the merge screen."""
    model = source_of(object_type).model
    return require_visible(actor, model._default_manager.filter(pk=record_id).first())


def merge_get(*, actor: Actor, merge_id: int) -> tuple[Merge, Any, Any]:
    """A merge with its kept record (which the actor must see) and the merged one (maybe binned)."""
    merge = Merge.objects.filter(pk=merge_id).first()
    if merge is None:
        raise NotFound(_("This merge does not exist."))
    survivor = mergeable_record(actor=actor, object_type=merge.object_type, record_id=merge.survivor_id)
    loser = source_of(merge.object_type).model._base_manager.filter(pk=merge.loser_id).first()
    return merge, survivor, loser
