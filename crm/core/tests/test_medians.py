"""The median aggregate gives Python's median of each group on both databases, NULLs left out."""

from __future__ import annotations

import statistics
from collections import defaultdict

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, F, IntegerField, When

from crm.core.medians import Median

pytestmark = pytest.mark.django_db


def test_the_median_of_each_group_is_pythons_median_of_its_values() -> None:
    # given the content types (every app has some: groups of odd and even sizes)
    rows = list(ContentType.objects.values_list("app_label", "id"))
    expected: dict[str, list[int]] = defaultdict(list)
    for app, pk in rows:
        expected[app].append(pk)
    assert {len(ids) % 2 for ids in expected.values()} == {0, 1}

    # when the database works out the median id per app
    found = dict(ContentType.objects.values("app_label").annotate(m=Median(F("id"))).values_list("app_label", "m"))

    # then it is the middle id, or the mean of the middle two
    assert found == {app: statistics.median(ids) for app, ids in expected.items()}


def test_nulls_are_left_out_and_a_group_of_nulls_has_no_median() -> None:
    # given the ids of models whose name starts with "c" only, NULL for the others
    only_c = Case(When(model__startswith="c", then=F("id")), output_field=IntegerField())
    rows = list(ContentType.objects.values_list("app_label", "model", "id"))
    expected: dict[str, list[int]] = {}
    for app, model, pk in rows:
        ids = expected.setdefault(app, [])
        if model.startswith("c"):
            ids.append(pk)

    # when the medians are worked out
    found = dict(ContentType.objects.values("app_label").annotate(m=Median(only_c)).values_list("app_label", "m"))

    # then only the non-NULL ids count, and an app with none gets None
    assert found == {app: statistics.median(ids) if ids else None for app, ids in expected.items()}
    assert None in found.values()
