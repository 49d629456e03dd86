"""Keyword evidence: matches explained with offsets, NFKC and traditional forms and spaced characters matched;
activities tagged on create and in bulk; "evidence seen" advances, the stage never; competitor + price in 报价谈判
alerts the regional manager."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.factories.sales import AccountFactory, ActivityFactory, OpportunityFactory, stage
from xiaoguan.activities.models import Activity
from xiaoguan.activities.services import activity_log
from xiaoguan.automation.models import Notification
from xiaoguan.core.clock import org_tz
from xiaoguan.core.errors import NotAllowedError
from xiaoguan.core.history import history_list_for
from xiaoguan.evidence.matcher import DictionarySpec, Matcher
from xiaoguan.evidence.models import ActivityEvidence, KeywordDictionary
from xiaoguan.evidence.services import activities_evidence_scan, keyword_dictionary_update

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 3, 5, 10, 0, tzinfo=org_tz())


@pytest.fixture
def matcher() -> Matcher:
    return Matcher([
        DictionarySpec("quote", "报价", "quote_negotiation", ("报价", "报价单")),
        DictionarySpec("price_comparison", "三方比价", "quote_negotiation", ("比价", "三方比价")),
        DictionarySpec("competitor", "竞品", "", ("西门子", "ABB"), is_competitor=True),
    ])


def test_each_match_says_which_word_and_where(matcher):  # type: ignore[no-untyped-def]
    text = "今天做了三方比价，客户要报价单"
    hits = {(h.code, h.word, h.start, h.end) for h in matcher.scan(text).hits}
    assert ("price_comparison", "三方比价", 4, 8) in hits and ("price_comparison", "比价", 6, 8) in hits
    assert ("quote", "报价单", 12, 15) in hits and text[12:15] == "报价单"


def test_full_width_forms_are_matched_nfkc_and_offsets_point_at_the_original(matcher):  # type: ignore[no-untyped-def]
    text = "竞品ＡＢＢ报价 ５万元"
    result = matcher.scan(text, prices=True)
    abb = next(h for h in result.hits if h.code == "competitor")
    assert (abb.text, abb.start, abb.end) == ("ＡＢＢ", 2, 5)
    assert [p[0] for p in result.prices] == ["报价 ５万元"]


def test_traditional_forms_and_spaces_between_characters_are_matched(matcher):  # type: ignore[no-untyped-def]
    hits = matcher.scan("客戶已收到報 價 單，西門子也在比價").hits
    texts = {(h.code, h.text) for h in hits}
    assert ("quote", "報 價 單") in texts and ("competitor", "西門子") in texts and ("price_comparison", "比價") in texts


def test_text_without_dictionary_words_has_no_hits(matcher):  # type: ignore[no-untyped-def]
    assert matcher.scan("已电话沟通，保持联系").hits == []


def test_logging_an_activity_tags_it_and_advances_evidence_seen_but_never_the_stage(clock):  # type: ignore[no-untyped-def]
    # given a deal in 需求诊断
    opp = OpportunityFactory(stage=stage("needs_diagnosed"))
    # when the rep logs a message about the three-way price comparison
    activity = activity_log(by=opp.owner, now=NOW, kind="wecom_message", opportunity=opp, content="客户发来三方比价截图，我方服务响应优势明显")
    # then the activity is evidence of 三方比价 for 报价谈判, with the words and offsets
    evidence = ActivityEvidence.objects.get(activity=activity, code="price_comparison")
    assert evidence.stage_key == "quote_negotiation"
    assert {"word": "三方比价", "text": "三方比价", "field": "content", "start": 4, "end": 8} in evidence.matches
    # and the deal has seen that evidence; its stage did not move
    opp.refresh_from_db()
    assert opp.evidence_seen["price_comparison"]["activity"] == activity.external_id
    assert opp.stage.key == "needs_diagnosed"


def _quote_stage_deal(org):  # type: ignore[no-untyped-def]
    return OpportunityFactory(account=AccountFactory(owner=org.rep), owner=org.rep, stage=stage("quote_negotiation"))


def test_competitor_and_price_in_quote_negotiation_alert_the_regional_manager(org):  # type: ignore[no-untyped-def]
    opp = _quote_stage_deal(org)
    activity_log(by=org.rep, now=NOW, kind="call", opportunity=opp, content="客户反馈价格偏高，竞品西门子报价低8%")
    alert = Notification.objects.get(recipient=org.manager, kind="competitor_price")
    assert "西门子" in alert.body and "报价低8%" in alert.body and alert.subject_id == opp.pk


def test_competitor_without_a_price_or_outside_quote_negotiation_does_not_alert(org):  # type: ignore[no-untyped-def]
    opp = _quote_stage_deal(org)
    activity_log(by=org.rep, now=NOW, kind="call", opportunity=opp, content="针对竞品西门子做了优劣势分析")
    early = OpportunityFactory(account=AccountFactory(owner=org.rep), owner=org.rep, stage=stage("solution_demo"))
    activity_log(by=org.rep, now=NOW, kind="call", opportunity=early, content="西门子报价 12万")
    assert not Notification.objects.filter(kind="competitor_price").exists()


def test_competitors_named_on_deals_join_the_list(org):  # type: ignore[no-untyped-def]
    OpportunityFactory(competitor="鼎信仪器")
    opp = _quote_stage_deal(org)
    activity_log(by=org.rep, now=NOW, kind="call", opportunity=opp, content="鼎信仪器给了 ¥98000 的报价")
    assert Notification.objects.filter(recipient=org.manager, kind="competitor_price").count() == 1


def test_bulk_scan_tags_history_without_alerts_and_twice_changes_nothing(org):  # type: ignore[no-untyped-def]
    # given imported history: quote-stage chatter with a competitor and a price, and plain notes
    opp = _quote_stage_deal(org)
    for content in ("竞品迈瑞报价低8%", "合同条款与法务确认完毕", "保持联系", "<script>alert(1)</script>报价"):
        ActivityFactory(owner=org.rep, account=opp.account, opportunity=opp, content=content)
    # when the bulk scan runs twice
    first = activities_evidence_scan(activities=Activity.objects.all(), now=NOW)
    second = activities_evidence_scan(activities=Activity.objects.all(), now=NOW)
    # then three activities are tagged, the deal has seen quote, competitor and contract, and nobody was alerted
    assert (first.scanned, first.tagged) == (4, 3)
    assert ActivityEvidence.objects.count() == first.evidence == 4
    assert second.evidence == 4 and ActivityEvidence.objects.count() == 4
    opp.refresh_from_db()
    assert set(opp.evidence_seen) == {"quote", "competitor", "contract"}
    assert not Notification.objects.exists()


def test_an_admin_adds_a_word_versioned_and_it_counts_at_once(org):  # type: ignore[no-untyped-def]
    tender = KeywordDictionary.objects.get(code="tender")
    keyword_dictionary_update(dictionary=tender, by=org.admin, now=NOW, words=[*tender.words, "遴选"], enabled=True)
    tender.refresh_from_db()
    assert tender.version == 2 and "遴选" in tender.words
    assert history_list_for(subject=tender).first().changes["words"][1][-1] == "遴选"
    opp = OpportunityFactory(account=AccountFactory(owner=org.rep), owner=org.rep)
    activity = activity_log(by=org.rep, now=NOW, kind="call", opportunity=opp, content="医院下月公开遴选供应商")
    assert ActivityEvidence.objects.filter(activity=activity, code="tender").exists()
    with pytest.raises(NotAllowedError):
        keyword_dictionary_update(dictionary=tender, by=org.rep, now=NOW, words=["x"], enabled=True)
