"""Duplicate candidates for new or edited records, found by indexed equality on match keys.

For one record, each key (credit code, phone, email, name key) is one indexed lookup with a
small limit, so the cost does not grow with the table (one statement per source, compiled once per
shape: see `prepared`); the few rows found are then scored in Python. For many records (an import)
the distinct keys of a chunk are looked up together, once per import, and the chunk is scored on two
cores where the process may fork.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.access.visibility import Scope, scope_of
from crm.core.actors import Actor
from crm.core.two_processes import in_two_processes
from crm.customers.duplicates.prepared import key_rows, rows_per_key
from crm.customers.duplicates.scoring import Features, Reason, Tally, features, rendered, tally
from crm.customers.duplicates.sources import SOURCES, Key, Source, source_of
from crm.identity.models import User

PER_KEY_LIMIT = 50
MIN_SCORE = 30
MAX_CANDIDATES = 10
# Records checked together by `duplicate_candidates_many` (their distinct keys are looked up together).
BATCH = 10_000


@dataclass(frozen=True)
class Candidate:
    """A likely duplicate. For a record the viewer may not see, only its owner and since when."""

    score: int
    visible: bool
    owner_name: str
    owner_since: dt.datetime
    object_type: str = "customers"
    owner_id: int | None = None
    record_id: int | None = None
    name: str = ""
    external_id: str | None = None
    reasons: list[str] = field(default_factory=list)
    # Always set, never shown to a viewer who may not see the record: for telling its owner.
    target_id: int = 0
    match_reasons: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.visible:
            return f"{self.name} ({self.score}): {'; '.join(self.reasons)}"
        return _("owned by %(owner)s since %(since)s") % {
            "owner": self.owner_name,
            "since": timezone.localdate(self.owner_since).isoformat(),
        }


def duplicate_candidates(
    *,
    viewer: Actor,
    values: dict[str, Any],
    object_type: str,
    exclude_id: int | None = None,
    min_score: int = MIN_SCORE,
) -> list[Candidate]:
    """Existing live leads, customers and contacts that look like `values`, best first.

    `values` are the raw field values of a new or edited record of `object_type`, as a form
    sends them; `exclude_id` is the edited record itself.
    """
    probe = source_of(object_type).record(values)
    probe_features = features(probe)
    found: list[_Found] = []
    for source in SOURCES.values():
        rows = key_rows(
            source,
            source.keys(probe),
            (*source.columns, *_EXTRA_COLUMNS),
            limit=PER_KEY_LIMIT,
            exclude_id=exclude_id if source.object_type == object_type else None,
        )
        found += _scored(probe_features, source, rows.values(), min_score)
    return _candidates(viewer, [found], {})[0]


def duplicate_candidates_many(
    *,
    viewer: Actor,
    values: Sequence[dict[str, Any]],
    object_type: str,
    min_score: int = MIN_SCORE,
) -> list[list[Candidate]]:
    """`duplicate_candidates` for many new records at once (an import), in the same order.

    The same keys, scores and masking as for one record, but the distinct keys of a chunk of records
    are looked up together, a few hundred keys per statement, instead of a statement per record.
    A key is looked up once per call: the rows it found, with their features, serve every later
    chunk that has it too (a file's rows share company and person names chunk after chunk).
    """
    results: list[list[Candidate]] = []
    owner_names: dict[int, str] = {}
    probe_source = source_of(object_type)
    found_by_key: dict[str, _KeyRows] = {name: _KeyRows(source) for name, source in SOURCES.items()}
    scope = scope_of(viewer)
    for start in range(0, len(values), BATCH):
        probes = [probe_source.record(item) for item in values[start : start + BATCH]]
        probe_features = [features(probe) for probe in probes]
        probe_keys: dict[str, list[list[Key]]] = {}
        for name, source in SOURCES.items():
            probe_keys[name] = [source.keys(probe) for probe in probes]
            found_by_key[name].fetch({key for keys in probe_keys[name] for key in keys})
        _load_owner_names(
            {row["owner_id"] for by_key in found_by_key.values() for row in by_key.new_rows()}, owner_names
        )

        score = partial(
            _score_chunk,
            probe_features=probe_features,
            probe_keys=probe_keys,
            found_by_key=found_by_key,
            scope=scope,
            owner_names=owner_names,
            min_score=min_score,
        )
        # Scoring is pure Python: on a machine with two cores, a child process scores half the chunk.
        results += in_two_processes(len(probes), score)
        for by_key in found_by_key.values():
            by_key.bound()
    return results


def _score_chunk(
    indexes: range,
    *,
    probe_features: list[Features],
    probe_keys: dict[str, list[list[Key]]],
    found_by_key: dict[str, _KeyRows],
    scope: Scope,
    owner_names: dict[int, str],
    min_score: int,
) -> list[list[Candidate]]:
    """The candidates of the probes at `indexes`; reads nothing from the database (all is loaded before)."""
    found_per_probe = []
    for index in indexes:
        found: list[_Found] = []
        for name, source in SOURCES.items():
            rows = found_by_key[name].rows_of(probe_keys[name][index])
            found += _scored_known(probe_features[index], source, rows, min_score)
        found_per_probe.append(found)
    return _as_candidates(scope, _best(found_per_probe), owner_names)


class _KeyRows:
    """The rows found per key of one source, with their features, for the length of one import's check."""

    # Rows kept between chunks; beyond it (a huge file of all-different names) the kept rows are let go.
    MAX_ROWS = 400_000

    def __init__(self, source: Source) -> None:
        self.source = source
        self.by_key: dict[Key, list[tuple[dict[str, Any], Features]]] = {}
        # A row found by several keys is read and featured once.
        self.by_id: dict[int, tuple[dict[str, Any], Features]] = {}
        self.fetched: list[dict[str, Any]] = []

    def fetch(self, keys: set[Key]) -> None:
        self.fetched = []
        missing = keys - self.by_key.keys()
        if not missing:
            return
        for key, rows in _rows_by_key(self.source, missing).items():
            entries = []
            for row in rows:
                entry = self.by_id.get(row["id"])
                if entry is None:
                    entry = self.by_id[row["id"]] = (row, features(self.source.record(row)))
                    self.fetched.append(row)
                entries.append(entry)
            self.by_key[key] = entries

    def new_rows(self) -> list[dict[str, Any]]:
        """The rows the last `fetch` read for the first time."""
        return self.fetched

    def rows_of(self, keys: list[Key]) -> Iterable[tuple[dict[str, Any], Features]]:
        """The rows of `keys`, each once."""
        if len(keys) == 1:
            return self.by_key[keys[0]]
        return {entry[0]["id"]: entry for key in keys for entry in self.by_key[key]}.values()

    def bound(self) -> None:
        if len(self.by_id) > self.MAX_ROWS:
            self.by_key.clear()
            self.by_id.clear()


def _rows_by_key(source: Source, keys: set[Key]) -> dict[Key, list[dict[str, Any]]]:
    """The newest PER_KEY_LIMIT live rows of `source` per key, a few hundred keys per statement."""
    ordered = sorted(keys)
    found = rows_per_key(source, ordered, (*source.columns, *_EXTRA_COLUMNS), limit=PER_KEY_LIMIT)
    return dict(zip(ordered, found, strict=True))


# (score, what made it, object type, row)
_Found = tuple[int, Tally, str, dict[str, Any]]
_EXTRA_COLUMNS = ("owner_id", "team_id", "created_at")


def _scored(probe: Features, source: Source, rows: Iterable[dict[str, Any]], min_score: int) -> list[_Found]:
    """The rows that score at least `min_score` against the probe."""
    return _scored_known(probe, source, ((row, features(source.record(row))) for row in rows), min_score)


def _scored_known(
    probe: Features, source: Source, rows: Iterable[tuple[dict[str, Any], Features]], min_score: int
) -> list[_Found]:
    """`_scored` of rows whose features are worked out already."""
    found = []
    for row, row_features in rows:
        points, made_of = tally(probe, row_features)
        if points >= min_score:
            found.append((points, made_of, source.object_type, row))
    return found


def _candidates(
    viewer: Actor, found_per_probe: list[list[_Found]], owner_names: dict[int, str]
) -> list[list[Candidate]]:
    """The best MAX_CANDIDATES per probe as candidates, masked where the viewer may not see them."""
    best_per_probe = _best(found_per_probe)
    _load_owner_names({row["owner_id"] for best in best_per_probe for _p, _r, _t, row in best}, owner_names)
    return _as_candidates(scope_of(viewer), best_per_probe, owner_names)


def _best(found_per_probe: list[list[_Found]]) -> list[list[_Found]]:
    return [
        sorted(found, key=lambda item: (-item[0], item[2], -item[3]["id"]))[:MAX_CANDIDATES]
        for found in found_per_probe
    ]


def _load_owner_names(owner_ids: set[int], owner_names: dict[int, str]) -> None:
    missing = owner_ids - owner_names.keys()
    if missing:
        owner_names.update(
            (user.pk, str(user))
            for user in User.objects.filter(pk__in=missing).only("pk", "full_name", "username").order_by()
        )


def _as_candidates(
    scope: Scope, best_per_probe: list[list[_Found]], owner_names: dict[int, str]
) -> list[list[Candidate]]:
    # A file's rows share reasons ("company name ~ 华信") and owners: each is rendered or decided once.
    reasons_made: dict[Any, Reason] = {}
    results = []
    for best in best_per_probe:
        candidates = []
        for points, found, found_type, row in best:
            # Rendered only now, for the few shown: at a million records a record matches dozens.
            reasons = rendered(found, reasons_made)
            common = {
                "score": points,
                "owner_name": owner_names.get(row["owner_id"], ""),
                "owner_since": row["created_at"],
                "object_type": found_type,
                "owner_id": row["owner_id"],
                "target_id": row["id"],
                "match_reasons": reasons,
            }
            if scope.allows(row["owner_id"], row["team_id"]):
                candidates.append(
                    Candidate(
                        **common,
                        visible=True,
                        record_id=row["id"],
                        name=row["name"],
                        external_id=row["external_id"],
                        reasons=reasons,
                    )
                )
            else:
                candidates.append(Candidate(**common, visible=False))
        results.append(candidates)
    return results
