"""Stage gates (准出条件): what must have happened before a deal leaves a stage forward, and what is still missing.

An evidence action is a code; "a|b" in a gate means either will do:
- `doc:<kind>`    a document of that kind uploaded on the deal (需求调研表, 报价单, 合同 …; documents.Document.Kind)
- `sent:<kind>`   a tracked document of that kind sent to the customer (a `sent` touch event on the deal)
- `kw:<code>`     the keyword scan saw that evidence in the deal's conversations (Opportunity.evidence_seen)
- `act:<kind>`    an activity of that kind logged on the deal (演示, 会议 …)
Required fields are names of Opportunity fields from REQUIRED_FIELDS (the seeds' minimal five, plus amount/close date).

The defaults below follow seed 001 (one or two evidence actions per stage: 需求调研表 in 需求诊断, a sent quote and
a recorded 三方比价 in 报价谈判) and seed 002 (the five required fields). Leaving 线索确认 is free: a confirmed lead
is what entering it means. Admins change them per stage (StageGate rows); a stage without a row keeps the defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoguan.activities.models import Activity
from xiaoguan.core.bulk import chunked
from xiaoguan.documents.models import Document
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.opportunities.models import Opportunity, Stage, StageGate

REQUIRED_FIELDS = {
    "account": gettext_lazy("客户名称"),
    "next_follow_up_at": gettext_lazy("下次跟进时间（晚于现在）"),
    "core_need": gettext_lazy("核心诉求"),
    "blocker": gettext_lazy("卡点问题"),
    "amount": gettext_lazy("金额"),
    "expected_close": gettext_lazy("预计成交日期"),
}
MINIMAL_FIELDS = ("account", "next_follow_up_at", "core_need", "blocker")

# Keyword evidence codes the stage gates know by name (xiaoguan.evidence dictionaries use the same codes).
KEYWORD_LABELS = {
    "quote": gettext_lazy("报价"),
    "contract": gettext_lazy("合同"),
    "sample": gettext_lazy("样品"),
    "price_comparison": gettext_lazy("三方比价"),
    "tender": gettext_lazy("招标"),
    "competitor": gettext_lazy("竞品"),
}
# A `sent` touch event names its document by label (报价单, 方案书, 合同 in the interchange format).
SENT_LABEL_WORDS = {"quote": "报价", "proposal": "方案", "contract": "合同", "requirements_survey": "调研"}


@dataclass(frozen=True)
class GateSpec:
    required_actions: tuple[str, ...] = ()
    required_fields: tuple[str, ...] = ()
    needs_approval: bool = False


_STANDARD: dict[str, GateSpec] = {
    "needs_diagnosed": GateSpec(("doc:requirements_survey",), MINIMAL_FIELDS),
    "solution_demo": GateSpec(("act:demo|act:meeting|sent:proposal|doc:proposal",), MINIMAL_FIELDS),
    "quote_negotiation": GateSpec(("sent:quote", "kw:price_comparison|doc:price_comparison"), (*MINIMAL_FIELDS, "amount")),
}
# Long-cycle deals (government, hospitals, schools) go through a tender, and a quote leaves only with approval.
_LONG_CYCLE: dict[str, GateSpec] = {
    **_STANDARD,
    "solution_demo": GateSpec(("act:demo|act:meeting|sent:proposal|doc:proposal", "kw:tender|doc:minutes"), MINIMAL_FIELDS),
    "quote_negotiation": GateSpec(
        ("sent:quote", "kw:price_comparison|doc:price_comparison"), (*MINIMAL_FIELDS, "amount", "expected_close"), needs_approval=True
    ),
}
DEFAULT_GATES: dict[str, dict[str, GateSpec]] = {"standard": _STANDARD, "long_cycle": _LONG_CYCLE}


def gate_default(*, pipeline_key: str, stage_key: str) -> GateSpec:
    return DEFAULT_GATES.get(pipeline_key, _STANDARD).get(stage_key, GateSpec())


def gate_spec(stage: Stage) -> GateSpec:
    """The stage's exit criteria: the admin's row, else the default for its pipeline and key."""
    try:
        row = stage.gate
    except StageGate.DoesNotExist:
        return gate_default(pipeline_key=stage.pipeline.external_id, stage_key=stage.key)
    return GateSpec(tuple(row.required_actions), tuple(row.required_fields), row.needs_approval)


def action_label(code: str) -> str:
    """"上传需求调研表", "已发送报价单（追踪链接）" … ; alternatives joined by 或."""
    labels = []
    for alternative in code.split("|"):
        prefix, _sep, value = alternative.partition(":")
        if prefix == "doc":
            labels.append(_("上传%(kind)s") % {"kind": _kind_label(value)})
        elif prefix == "sent":
            labels.append(_("发送%(kind)s（追踪链接）") % {"kind": _kind_label(value)})
        elif prefix == "kw":
            labels.append(_("沟通记录中出现“%(word)s”") % {"word": KEYWORD_LABELS.get(value, value)})
        elif prefix == "act":
            labels.append(_("记录一次%(kind)s") % {"kind": _activity_label(value)})
        else:
            labels.append(alternative)
    return _("或").join(labels)


def _kind_label(kind: str) -> str:
    return str(dict(Document.Kind.choices).get(kind, kind))


def _activity_label(kind: str) -> str:
    return str(dict(Activity.Kind.choices).get(kind, kind))


def action_choices() -> list[tuple[str, str]]:
    """Every single action an admin may require, for the settings page."""
    codes = [f"doc:{k}" for k in Document.Kind.values if k != "other"]
    codes += [f"sent:{k}" for k in SENT_LABEL_WORDS]
    codes += [f"kw:{k}" for k in KEYWORD_LABELS]
    codes += [f"act:{k}" for k in (Activity.Kind.VISIT, Activity.Kind.MEETING, Activity.Kind.DEMO, Activity.Kind.CALL)]
    return [(code, action_label(code)) for code in codes]


@dataclass(frozen=True)
class Missing:
    """One unmet exit criterion of a stage the move would leave."""

    stage: str
    code: str
    label: str

    def as_dict(self) -> dict[str, str]:
        return {"stage": self.stage, "code": self.code, "label": self.label}


@dataclass
class Facts:
    """What a deal has to show, read once per check."""

    document_kinds: set[str] = field(default_factory=set)
    sent_labels: list[str] = field(default_factory=list)
    activity_kinds: set[str] = field(default_factory=set)
    keywords: set[str] = field(default_factory=set)

    def has(self, code: str) -> bool:
        return any(self._has_one(alternative) for alternative in code.split("|"))

    def _has_one(self, code: str) -> bool:
        prefix, _sep, value = code.partition(":")
        if prefix == "doc":
            return value in self.document_kinds
        if prefix == "sent":
            word = SENT_LABEL_WORDS.get(value, _kind_label(value))
            return any(word in label or label == value for label in self.sent_labels)
        if prefix == "kw":
            return value in self.keywords
        if prefix == "act":
            return value in self.activity_kinds
        return False


def opportunity_facts(*, opportunity: Opportunity, now: datetime) -> Facts:
    return Facts(
        document_kinds=set(Document.objects.filter(opportunity=opportunity, uploaded_at__lte=now).values_list("kind", flat=True).distinct()),
        sent_labels=list(
            TouchEvent.objects.filter(opportunity=opportunity, kind=TouchEvent.Kind.SENT, occurred_at__lte=now).values_list("document", flat=True).distinct()
        ),
        activity_kinds=set(Activity.objects.filter(opportunity=opportunity, occurred_at__lte=now).values_list("kind", flat=True).distinct()),
        keywords=set(opportunity.evidence_seen or {}),
    )


def stages_crossed(*, opportunity: Opportunity, to_stage: Stage) -> list[Stage]:
    """The stages a forward move leaves: the current one and every one it skips. Empty when moving back."""
    current = opportunity.stage
    if to_stage.position <= current.position:
        return []
    return list(
        Stage.objects.filter(pipeline_id=opportunity.pipeline_id, position__gte=current.position, position__lt=to_stage.position)
        .select_related("pipeline", "gate").order_by("position")
    )


def _field_missing(opportunity: Opportunity, name: str, now: datetime) -> bool:
    value = getattr(opportunity, name, None)
    if name == "next_follow_up_at":
        return value is None or value < now
    if isinstance(value, str):
        return not value.strip()
    return value is None


def gate_missing(*, opportunity: Opportunity, stages: Iterable[Stage], now: datetime) -> list[Missing]:
    """Every unmet criterion of `stages`, in stage order: fields first, then evidence actions."""
    missing: list[Missing] = []
    facts: Facts | None = None
    seen_fields: set[str] = set()
    for stage in stages:
        spec = gate_spec(stage)
        for name in spec.required_fields:
            if name in seen_fields or name not in REQUIRED_FIELDS:
                continue
            seen_fields.add(name)
            if _field_missing(opportunity, name, now):
                missing.append(Missing(stage=stage.name, code=f"field:{name}", label=_("填写%(field)s") % {"field": REQUIRED_FIELDS[name]}))
        for code in spec.required_actions:
            facts = facts or opportunity_facts(opportunity=opportunity, now=now)
            if not facts.has(code):
                missing.append(Missing(stage=stage.name, code=code, label=action_label(code)))
    return missing


def gates_need_approval(stages: Sequence[Stage]) -> bool:
    return any(gate_spec(stage).needs_approval for stage in stages)


def missing_sentence(missing: Sequence[Missing]) -> str:
    """One Chinese sentence naming what is missing, per stage: 「需求诊断」缺少：上传需求调研表；填写核心诉求。"""
    by_stage: dict[str, list[str]] = {}
    for item in missing:
        by_stage.setdefault(item.stage, []).append(item.label)
    parts = [_("“%(stage)s”缺少：%(items)s") % {"stage": stage, "items": "；".join(labels)} for stage, labels in by_stage.items()]
    return _("不能推进阶段。") + " ".join(parts)


@dataclass(frozen=True)
class DryRun:
    """How the open deals now in a stage fare against a gate: how many could leave, and what the others lack."""

    deals: int
    ready: int
    missing: list[tuple[str, int]]  # (label, deals lacking it), most lacked first


def gate_dry_run(*, stage: Stage, spec: GateSpec, now: datetime) -> DryRun:
    """Try exit criteria against the open deals in the stage before saving them: a few grouped reads, whatever the
    number of deals (DESIGN.md principle 4)."""
    deals = list(
        Opportunity.objects.filter(stage=stage, status=Opportunity.Status.OPEN)
        .only("pk", "account_id", "next_follow_up_at", "core_need", "blocker", "amount", "expected_close", "evidence_seen")
    )
    if not deals:
        return DryRun(0, 0, [])
    facts = {deal.pk: Facts(keywords=set(deal.evidence_seen or {})) for deal in deals}
    for chunk in chunked(list(facts), 900):
        for opp_id, kind in Document.objects.filter(opportunity_id__in=chunk, uploaded_at__lte=now).values_list("opportunity_id", "kind").distinct():
            facts[opp_id].document_kinds.add(kind)
        sent = TouchEvent.objects.filter(opportunity_id__in=chunk, kind=TouchEvent.Kind.SENT, occurred_at__lte=now)
        for opp_id, label in sent.values_list("opportunity_id", "document").distinct():
            facts[opp_id].sent_labels.append(label)
        for opp_id, kind in Activity.objects.filter(opportunity_id__in=chunk, occurred_at__lte=now).values_list("opportunity_id", "kind").distinct():
            facts[opp_id].activity_kinds.add(kind)
    lacking: dict[str, int] = {}
    ready = 0
    for deal in deals:
        missing = [
            _("填写%(field)s") % {"field": REQUIRED_FIELDS[name]}
            for name in spec.required_fields if name in REQUIRED_FIELDS and _field_missing(deal, name, now)
        ]
        missing += [action_label(code) for code in spec.required_actions if not facts[deal.pk].has(code)]
        ready += not missing
        for label in missing:
            lacking[label] = lacking.get(label, 0) + 1
    return DryRun(len(deals), ready, sorted(lacking.items(), key=lambda item: -item[1]))
