"""Pipelines and stages: the seeded default, and what administrators may change."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD, Org
from crm.core.errors import PermissionDenied, ValidationFailed
from crm.deals.models import ChecklistItem, Pipeline, Stage, StageTransition
from crm.deals.selectors import transitions_of
from crm.deals.services import pipeline_create, stage_update, transitions_set
from crm.deals.tests.factories import default_pipeline, stage_named


def _moves(pipeline: Pipeline) -> set[tuple[str, str]]:
    names = dict(Stage.objects.filter(pipeline=pipeline).values_list("pk", "name"))
    return {(names[a], names[b]) for a, b in transitions_of(pipeline)}


def test_default_pipeline_moves_forward_one_step_back_anywhere_lost_anywhere_won_from_negotiation() -> None:
    # given the seeded default pipeline
    pipeline = default_pipeline()

    # then its transition table is exactly the agreed one
    assert _moves(pipeline) == {
        ("初步沟通", "需求确认"),
        ("需求确认", "方案报价"),
        ("方案报价", "合同谈判"),
        ("需求确认", "初步沟通"),
        ("方案报价", "初步沟通"),
        ("方案报价", "需求确认"),
        ("合同谈判", "初步沟通"),
        ("合同谈判", "需求确认"),
        ("合同谈判", "方案报价"),
        ("初步沟通", "输单"),
        ("需求确认", "输单"),
        ("方案报价", "输单"),
        ("合同谈判", "输单"),
        ("合同谈判", "签约"),
    }
    assert [(s.name, s.kind, s.probability) for s in pipeline.stages.order_by("position")] == [
        ("初步沟通", "open", 10),
        ("需求确认", "open", 25),
        ("方案报价", "open", 50),
        ("合同谈判", "open", 75),
        ("签约", "won", 100),
        ("输单", "lost", 0),
    ]


def test_only_administrators_change_pipelines(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        pipeline_create(actor=org.actor(org.east_a_manager), name="续约")
    with pytest.raises(PermissionDenied):
        stage_update(actor=org.actor(org.rep_a1), stage_id=stage_named("需求确认").pk, values={"probability": 90})


def test_a_new_pipeline_gets_the_standard_stages_and_moves(org: Org) -> None:
    pipeline = pipeline_create(actor=org.actor(org.admin), name="续约")
    assert [s.name for s in pipeline.stages.order_by("position")] == [
        "初步沟通",
        "需求确认",
        "方案报价",
        "合同谈判",
        "签约",
        "输单",
    ]
    assert _moves(pipeline) == _moves(default_pipeline())


def test_stage_update_changes_requirements_and_checklist(org: Org) -> None:
    # given the 需求确认 stage
    stage = stage_named("需求确认")

    # when the administrator changes it
    stage_update(
        actor=org.actor(org.admin),
        stage_id=stage.pk,
        values={
            "probability": 30,
            "required_fields": ["amount", "unknown"],
            "required_evidence": ["follow_up"],
            "checklist": ["已确认采购时间表", "已拿到组织架构图"],
            "allows_override": False,
        },
    )

    # then unknown codes are dropped and the kept checklist item keeps its id
    stage.refresh_from_db()
    assert (stage.probability, stage.required_fields, stage.required_evidence, stage.allows_override) == (
        30,
        ["amount"],
        ["follow_up"],
        False,
    )
    assert list(ChecklistItem.objects.filter(stage=stage).order_by("position").values_list("label", flat=True)) == [
        "已确认采购时间表",
        "已拿到组织架构图",
    ]


def test_stage_update_rejects_a_probability_over_100(org: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        stage_update(actor=org.actor(org.admin), stage_id=stage_named("需求确认").pk, values={"probability": 120})
    assert [e.field for e in refused.value.errors] == ["probability"]


def test_transitions_cannot_leave_a_closed_stage(org: Org) -> None:
    pipeline = default_pipeline()
    with pytest.raises(ValidationFailed):
        transitions_set(
            actor=org.actor(org.admin),
            pipeline_id=pipeline.pk,
            moves={(stage_named("输单").pk, stage_named("初步沟通").pk)},
        )


def test_transitions_set_replaces_the_table(org: Org) -> None:
    # when the administrator allows skipping 需求确认 and nothing else
    pipeline = default_pipeline()
    wanted = {(stage_named("初步沟通").pk, stage_named("方案报价").pk)}
    transitions_set(actor=org.actor(org.admin), pipeline_id=pipeline.pk, moves=wanted)

    # then exactly that move is allowed
    assert set(StageTransition.objects.values_list("from_stage_id", "to_stage_id")) == wanted


def test_pipeline_page_saves_a_stage(org: Org, client: Client) -> None:
    client.login(username="admin", password=PASSWORD)
    stage = stage_named("初步沟通")
    prefix = f"s{stage.pk}"
    response = client.post(
        f"/deals/pipelines/{default_pipeline().pk}/",
        {
            "stage": stage.pk,
            f"{prefix}-name": "初步接触",
            f"{prefix}-probability": "5",
            f"{prefix}-expected_days": "7",
            f"{prefix}-checklist": "已加微信\n",
        },
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.expected_days) == ("初步接触", 5, 7)
    assert list(stage.checklist.values_list("label", flat=True)) == ["已加微信"]
