"""The stage gates and the keyword dictionaries as YAML (DESIGN.md principle 4): readable, diffable, reviewable."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import yaml

from xiaoguan.opportunities.gates import action_label, gate_spec
from xiaoguan.opportunities.selectors import pipeline_list


def stage_gates_document(*, now: datetime, dictionaries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Every pipeline's stages with their exit criteria (labels beside the codes), and the keyword dictionaries."""
    pipelines = []
    for pipeline in pipeline_list():
        stages = []
        for stage in pipeline.stages.all():
            spec = gate_spec(stage)
            gate = getattr(stage, "gate", None)  # RelatedObjectDoesNotExist is an AttributeError: no row, None
            stages.append({
                "key": stage.key, "name": stage.name, "position": stage.position, "version": gate.version if gate else 0,
                "required_actions": [{"code": code, "label": action_label(code)} for code in spec.required_actions],
                "required_fields": list(spec.required_fields), "needs_approval": spec.needs_approval,
            })
        pipelines.append({
            "key": pipeline.external_id, "name": pipeline.name, "stale_stage_workdays": pipeline.stale_stage_workdays,
            "stale_silence_days": pipeline.stale_silence_days, "stages": stages,
        })
    return {"exported_at": now.isoformat(), "pipelines": pipelines, "keyword_dictionaries": dictionaries or []}


def stage_gates_yaml(*, now: datetime, dictionaries: list[dict[str, Any]] | None = None) -> str:
    return yaml.safe_dump(stage_gates_document(now=now, dictionaries=dictionaries), allow_unicode=True, sort_keys=False, width=120)
