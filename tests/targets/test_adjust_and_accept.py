"""Managers adjust a proposal within ±15 % with a reason (audited), only in their own subtree; accepting writes the
period's Target rows, all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xiaoguan.core.errors import InvalidStateError, NotAllowedError, ValidationFailedError
from xiaoguan.core.history import history_list_for
from xiaoguan.core.models import HistoryEntry
from xiaoguan.targets.models import Target, TargetFitReport, TargetProposal
from xiaoguan.targets.services import adjust_bounds, target_proposal_adjust, target_proposals_accept

pytestmark = pytest.mark.django_db


def test_bounds_are_fifteen_percent_either_side_to_the_cent():
    assert adjust_bounds(Decimal("1000000")) == (Decimal("850000.00"), Decimal("1150000.00"))
    assert adjust_bounds(Decimal("333333")) == (Decimal("283333.05"), Decimal("383332.95"))  # inside, never beyond
    assert adjust_bounds(Decimal("0")) == (Decimal("0.00"), Decimal("0.00"))


def test_manager_adjusts_within_bounds_with_a_reason_and_it_is_audited(fit, clock):
    now = clock.at("2025-10-02 10:00")
    proposal = fit.proposals[fit.li.pk]

    target_proposal_adjust(proposal=proposal, amount=Decimal("1150000"), reason="新接手两家三甲医院", by=fit.manager, now=now)

    proposal.refresh_from_db()
    assert (proposal.proposed, proposal.amount, proposal.reason) == (Decimal("1000000.00"), Decimal("1150000.00"), "新接手两家三甲医院")
    assert (proposal.adjusted_by, proposal.adjusted_at) == (fit.manager, now)
    [entry] = history_list_for(subject=proposal)
    assert (entry.actor, entry.at, entry.action, entry.note) == (fit.manager, now, HistoryEntry.Action.UPDATED, "新接手两家三甲医院")
    assert entry.changes == {"amount": ["1000000.00", "1150000.00"]}
    # a second adjustment is bounded by the model's figure, not by the previous adjustment, and audited from → to
    target_proposal_adjust(proposal=proposal, amount=Decimal("850000"), reason="重点客户预算推迟到明年", by=fit.manager, now=now)
    assert history_list_for(subject=proposal).first().changes == {"amount": ["1150000.00", "850000.00"]}


@pytest.mark.parametrize(("amount", "reason", "message"), [
    (Decimal("1150000.01"), "理由", "±15%"),
    (Decimal("849999.99"), "理由", "850,000.00 至 1,150,000.00"),
    (Decimal("1100000"), "   ", "请填写调整理由"),
    (Decimal("2000000"), "", "请填写调整理由"),
])  # fmt: skip
def test_out_of_range_or_no_reason_is_refused_in_chinese_and_nothing_is_written(fit, clock, amount, reason, message):
    proposal = fit.proposals[fit.li.pk]
    with pytest.raises(ValidationFailedError) as refused:
        target_proposal_adjust(proposal=proposal, amount=amount, reason=reason, by=fit.manager, now=clock.at("2025-10-02 10:00"))
    assert message in refused.value.message
    proposal.refresh_from_db()
    assert proposal.amount == proposal.proposed and proposal.reason == "" and proposal.adjusted_by is None
    assert not history_list_for(subject=proposal).exists()


def test_only_a_manager_of_the_reps_subtree_or_the_director_adjusts(fit, clock):
    now = clock.at("2025-10-02 10:00")
    for outsider in (fit.west_manager, fit.zhang, fit.li):  # another region's manager, a colleague, the rep herself
        with pytest.raises(NotAllowedError):
            target_proposal_adjust(proposal=fit.proposals[fit.li.pk], amount=Decimal("1000000"), reason="想改", by=outsider, now=now)
    assert not HistoryEntry.objects.exists()
    target_proposal_adjust(proposal=fit.proposals[fit.zhao.pk], amount=Decimal("900000"), reason="西区新开渠道", by=fit.director, now=now)
    assert TargetProposal.objects.get(pk=fit.proposals[fit.zhao.pk].pk).amount == Decimal("900000.00")


def test_an_older_report_of_the_same_period_is_read_only(fit, clock):
    TargetFitReport.objects.create(month="2025-11", period="2025-Q4", as_of=fit.report.as_of, created_at=fit.report.as_of, figures={})
    with pytest.raises(InvalidStateError):
        target_proposal_adjust(proposal=fit.proposals[fit.li.pk], amount=Decimal("1000000"), reason="x", by=fit.manager, now=clock.at("2025-11-02 10:00"))


def test_accepting_writes_the_targets_of_the_managers_reps_in_one_go(fit, clock):
    now = clock.at("2025-10-03 09:00")
    target_proposal_adjust(proposal=fit.proposals[fit.li.pk], amount=Decimal("1100000"), reason="新客户", by=fit.manager, now=now)

    written = target_proposals_accept(report=fit.report, by=fit.manager, now=now)

    # Li's target updated from 1.2M to her adjusted 1.1M; Zhang had none: created; Zhao (another region) untouched
    assert sorted(t.user.name for t in written) == ["张伟", "李娜"]
    targets = {t.user_id: t.amount for t in Target.objects.filter(period="2025-Q4", scope_kind="user")}
    assert targets == {fit.li.pk: Decimal("1100000.00"), fit.zhang.pk: Decimal("600000.00"), fit.zhao.pk: Decimal("800000.00")}
    li_target = Target.objects.get(user=fit.li, period="2025-Q4")
    [update] = history_list_for(subject=li_target)
    assert (update.actor, update.changes) == (fit.manager, {"amount": ["1200000.00", "1100000.00"]}) and "采纳" in update.note
    created = Target.objects.get(user=fit.zhang, period="2025-Q4")
    assert created.external_id == f"2025-Q4:user:{fit.zhang.external_id}:"
    assert history_list_for(subject=created).get().action == HistoryEntry.Action.CREATED
    accepted = TargetProposal.objects.get(pk=fit.proposals[fit.li.pk].pk)
    assert (accepted.accepted_by, accepted.accepted_at) == (fit.manager, now)


def test_accepting_is_all_or_nothing(fit, clock, monkeypatch):
    from xiaoguan.targets import services

    calls = {"n": 0}
    real = services.history_record

    def fail_on_second_target(**kwargs):  # type: ignore[no-untyped-def]
        if isinstance(kwargs["subject"], Target):
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(services, "history_record", fail_on_second_target)
    with pytest.raises(RuntimeError):
        target_proposals_accept(report=fit.report, by=fit.manager, now=clock.at("2025-10-03 09:00"))
    assert Target.objects.get(user=fit.li, period="2025-Q4").amount == Decimal("1200000.00")
    assert not Target.objects.filter(user=fit.zhang).exists()
    assert not TargetProposal.objects.filter(accepted_at__isnull=False).exists()


def test_a_rep_cannot_accept_and_a_manager_with_no_reps_in_scope_is_told(fit, clock):
    now = clock.at("2025-10-03 09:00")
    with pytest.raises(NotAllowedError):
        target_proposals_accept(report=fit.report, by=fit.li, now=now)
    with pytest.raises(ValidationFailedError, match="没有可采纳"):
        target_proposals_accept(report=fit.report, by=fit.manager, now=now, user_pks=[fit.zhao.pk])  # not hers to accept
    assert Target.objects.get(user=fit.zhao).amount == Decimal("800000.00")
