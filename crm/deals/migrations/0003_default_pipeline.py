"""Seed the default pipeline, its stages, allowed moves and SOP, and the close reasons."""

from typing import Any

from django.db import migrations

# (name, kind, probability, expected days, required fields, required evidence, checklist, override)
STAGES = [
    ("初步沟通", "open", 10, 14, [], [], [], False),
    ("需求确认", "open", 25, 21, ["budget"], [], ["已了解客户业务痛点", "已确认采购时间表"], True),
    (
        "方案报价",
        "open",
        50,
        21,
        ["budget", "decision_maker", "expected_close_on"],
        ["decision_maker_meeting"],
        ["已提交解决方案"],
        True,
    ),
    ("合同谈判", "open", 75, 14, ["amount", "expected_close_on"], [], ["客户已确认报价", "已确认合同条款"], True),
    ("签约", "won", 100, 0, ["amount"], [], [], False),
    ("输单", "lost", 0, 0, [], [], [], False),
]
WON_REASONS = ["产品功能匹配", "价格优势", "服务与响应速度", "客户关系", "品牌信任"]
LOST_REASONS = ["价格过高", "功能不满足", "竞品胜出", "客户预算取消", "项目延期或搁置", "联系人变动"]


def seed(apps: Any, schema_editor: Any) -> None:
    Pipeline = apps.get_model("deals", "Pipeline")
    Stage = apps.get_model("deals", "Stage")
    StageTransition = apps.get_model("deals", "StageTransition")
    ChecklistItem = apps.get_model("deals", "ChecklistItem")
    CloseReason = apps.get_model("deals", "CloseReason")
    if Pipeline.objects.exists():
        return
    pipeline = Pipeline.objects.create(name="新业务", is_default=True, position=0)
    stages = []
    for position, (name, kind, probability, days, fields, evidence, checklist, override) in enumerate(STAGES):
        stage = Stage.objects.create(
            pipeline=pipeline,
            name=name,
            position=position,
            kind=kind,
            probability=probability,
            expected_days=days,
            required_fields=fields,
            required_evidence=evidence,
            allows_override=override,
        )
        for index, label in enumerate(checklist):
            ChecklistItem.objects.create(stage=stage, label=label, position=index)
        stages.append(stage)
    open_stages = [s for s in stages if s.kind == "open"]
    won = next(s for s in stages if s.kind == "won")
    lost = next(s for s in stages if s.kind == "lost")
    moves = set()
    for index, stage in enumerate(open_stages):
        if index + 1 < len(open_stages):
            moves.add((stage.pk, open_stages[index + 1].pk))  # forward one step at a time
        for earlier in open_stages[:index]:
            moves.add((stage.pk, earlier.pk))  # back anywhere
        moves.add((stage.pk, lost.pk))  # lost from anywhere
    moves.add((open_stages[-1].pk, won.pk))  # won only from negotiation
    StageTransition.objects.bulk_create([StageTransition(from_stage_id=a, to_stage_id=b) for a, b in sorted(moves)])
    for kind, names in (("won", WON_REASONS), ("lost", LOST_REASONS)):
        for position, name in enumerate(names):
            CloseReason.objects.create(kind=kind, name=name, position=position)


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("deals", "Deal")._base_manager.all().delete()
    # Children first and without the ORM's cascade: collecting related rows through the historical
    # models mixes model classes of two migration states and fails. The deals are gone, so nothing
    # else points at these rows any more.
    for name in ("ChecklistItem", "StageTransition", "Stage", "Pipeline"):
        rows = apps.get_model("deals", name).objects.all()
        rows._raw_delete(rows.db)
    apps.get_model("deals", "CloseReason").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0002_search_index")]

    operations = [migrations.RunPython(seed, unseed)]
