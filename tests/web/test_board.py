"""The deal board: drag (or "move to") writes stage history; lost needs a reason; won and reopen."""

from __future__ import annotations

import pytest

from tests.factories.evidence import give_evidence
from tests.factories.sales import AccountFactory, OpportunityFactory, stage
from xiaoguan.core.models import HistoryEntry
from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage, StageHistory

pytestmark = pytest.mark.django_db

BOARD = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board"}


@pytest.fixture
def deal(org):  # type: ignore[no-untyped-def]
    # with the evidence the default stage gates ask for (tests/evidence covers the refusals)
    return give_evidence(OpportunityFactory(account=AccountFactory(owner=org.rep, name="恒瑞精密"), name="恒瑞检测设备项目"))


def test_board_shows_open_deals_in_their_stage_columns(org, login, deal):  # type: ignore[no-untyped-def]
    html = login(org.rep).get("/deals/").content.decode()
    assert "恒瑞检测设备项目" in html and 'data-stage="lead_confirmed"' in html
    assert f'data-move-url="/deals/{deal.external_id}/move/"' in html


def test_drag_to_another_stage_writes_stage_history_and_redraws_the_board(org, login, deal, clock):  # type: ignore[no-untyped-def]
    # given a deal in the first stage
    clock.set("2025-03-10 10:00")
    # when the rep drops it on "方案演示" (the board posts the stage key with HX-Target: board)
    response = login(org.rep).post(f"/deals/{deal.external_id}/move/", {"stage": "solution_demo"}, **BOARD)
    # then the board partial comes back and the move is in the stage history, by the rep, at now
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="board"' in html and "<html" not in html
    entry = StageHistory.objects.filter(opportunity=deal).latest("entered_at")
    assert entry.stage.key == "solution_demo" and entry.changed_by == org.rep and entry.entered_at == clock.at("2025-03-10 10:00")
    assert HistoryEntry.objects.filter(object_id=deal.pk, action=HistoryEntry.Action.STAGE).exists()


def test_phone_move_select_and_deal_page_use_the_same_move(org, login, deal):  # type: ignore[no-untyped-def]
    client = login(org.rep)
    response = client.post(f"/deals/{deal.external_id}/move/", {"stage": "needs_diagnosed"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage.key == "needs_diagnosed"


def test_a_stage_of_another_pipeline_is_refused_with_a_message(org, login, deal):  # type: ignore[no-untyped-def]
    # given another pipeline with its own stage keys
    other = Pipeline.objects.create(external_id="long_cycle", name="长周期")
    Stage.objects.create(pipeline=other, key="pilot", name="试点", position=1)
    before = StageHistory.objects.filter(opportunity=deal).count()
    # when the board posts that key for a standard deal
    response = login(org.rep).post(f"/deals/{deal.external_id}/move/", {"stage": "pilot"}, **BOARD)
    # then it is refused with 422 and the reason, and nothing moved
    assert response.status_code == 422
    assert "该阶段不属于这个商机的销售流程" in response.content.decode()
    assert StageHistory.objects.filter(opportunity=deal).count() == before
    deal.refresh_from_db()
    assert deal.stage.key == "lead_confirmed"


def test_moving_a_closed_deal_is_refused_on_the_board(org, login, deal):  # type: ignore[no-untyped-def]
    Opportunity.objects.filter(pk=deal.pk).update(status=Opportunity.Status.LOST)
    response = login(org.rep).post(f"/deals/{deal.external_id}/move/", {"stage": "solution_demo"}, **BOARD)
    assert response.status_code == 422
    assert "商机已关闭" in response.content.decode()


def test_lost_without_a_reason_is_refused_with_a_message_and_nothing_changes(org, login, deal):  # type: ignore[no-untyped-def]
    # when the rep marks the deal lost with an empty reason (from the HTMX form)
    response = login(org.rep).post(f"/deals/{deal.external_id}/lost/", {"reason": "  ", "competitor": "华测"}, HTTP_HX_REQUEST="true")
    # then the form comes back with the message and the deal is untouched
    assert response.status_code == 422
    assert "请填写输单原因" in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == Opportunity.Status.OPEN and deal.competitor == "" and deal.closed_at is None
    assert not HistoryEntry.objects.filter(object_id=deal.pk, action=HistoryEntry.Action.CLOSED).exists()


def test_lost_with_a_reason_closes_the_deal_and_reopen_opens_it(org, login, deal):  # type: ignore[no-untyped-def]
    client = login(org.rep)
    response = client.post(f"/deals/{deal.external_id}/lost/", {"reason": "预算砍掉", "competitor": "华测科技"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == f"/deals/{deal.external_id}/"
    deal.refresh_from_db()
    assert deal.status == Opportunity.Status.LOST and deal.lost_reason == "预算砍掉" and deal.competitor == "华测科技"
    assert client.post(f"/deals/{deal.external_id}/reopen/").status_code == 302
    deal.refresh_from_db()
    assert deal.status == Opportunity.Status.OPEN


def test_won_moves_the_deal_to_the_won_stage(org, login, deal):  # type: ignore[no-untyped-def]
    assert login(org.rep).post(f"/deals/{deal.external_id}/won/").status_code == 302
    deal.refresh_from_db()
    assert deal.status == Opportunity.Status.WON and deal.stage == stage("contract_signed")
    page = login(org.rep).get(f"/deals/{deal.external_id}/").content.decode()
    assert "重新打开" in page and "合同签署" in page


def test_winning_twice_shows_the_refusal_instead_of_failing(org, login, deal):  # type: ignore[no-untyped-def]
    client = login(org.rep)
    client.post(f"/deals/{deal.external_id}/won/")
    response = client.post(f"/deals/{deal.external_id}/won/")
    assert response.status_code == 422
    assert "商机已关闭" in response.content.decode()
