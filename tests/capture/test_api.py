"""POST /api/leads through capture (dedupe, Idempotency-Key) and the call logs (API and CSV page)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.capture.conftest import Org
from tests.factories.sales import LeadFactory
from xiaoguan.activities.models import Activity
from xiaoguan.capture.models import LeadCapture
from xiaoguan.core.clock import clock_now
from xiaoguan.leads.models import Lead
from xiaoguan.org.services import api_token_create

pytestmark = pytest.mark.django_db

CALLS = "/capture-test-api/call-logs"


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.capture.urls"


def bearer(user) -> Client:
    _, key = api_token_create(user=user, name="tests", now=clock_now())
    return Client(headers={"authorization": f"Bearer {key}"})


def _post(client: Client, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/leads", body, content_type="application/json", headers=headers)


def test_the_same_idempotency_key_gives_the_first_answer_and_writes_nothing_new(org: Org, now, routed_to):
    client = bearer(org.admin)
    body = {"source": "web_form", "name": "陈工", "company": "苏州精测仪器有限公司", "phone": "+86 138 0013 8000"}
    first = _post(client, body, key="order-7781")
    again = _post(client, body, key="order-7781")
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1 and LeadCapture.objects.count() == 1
    # an admin's token has its leads routed
    assert first.json()["owner_id"] == routed_to.external_id and first["X-Capture-Outcome"] == "created"


def test_the_same_key_with_another_body_is_refused(org: Org, now, routed_to):
    client = bearer(org.admin)
    _post(client, {"name": "陈工", "phone": "13800138000"}, key="k-1")
    response = _post(client, {"name": "陈工", "phone": "13900139000"}, key="k-1")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "idempotency_key_reused" and body["errors"][0]["field"] == "Idempotency-Key"
    assert Lead.objects.count() == 1


def test_keys_are_per_token_user(org: Org, now, routed_to):
    body = {"name": "陈工", "phone": "13800138000"}
    assert _post(bearer(org.admin), body, key="same").status_code == 201
    # another caller with the same key is a different request; the lead already exists, so it is merged
    response = _post(bearer(org.rep2), body, key="same")
    assert response.status_code == 200 and response["X-Capture-Outcome"] == "merged"
    assert Lead.objects.count() == 1 and LeadCapture.objects.count() == 2


def test_a_rep_posting_a_lead_owns_it_and_a_duplicate_is_merged(org: Org, now):
    response = _post(bearer(org.rep), {"name": "王五", "phone": "13700000000"})
    assert response.status_code == 201 and response.json()["owner_id"] == org.rep.external_id
    assert response.json()["status"] == "assigned"
    again = _post(bearer(org.rep2), {"name": "王五", "phone": "137-0000-0000", "city": "苏州"})
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    assert Lead.objects.get().city == "苏州"


def test_emoji_and_long_names_are_a_422_not_a_500(org: Org, now):
    response = _post(bearer(org.rep), {"name": "😀" * 101, "phone": "13700000000"})
    assert response.status_code == 422
    ok = _post(bearer(org.rep), {"name": "😀王五", "phone": "1370000abcd"})
    assert ok.status_code == 201 and ok.json()["name"] == "😀王五" and ok.json()["phone"] == "1370000abcd"


def test_an_inbound_call_from_an_unknown_number_is_a_lead_and_an_answered_one_its_first_contact(org: Org, now):
    client = bearer(org.admin)
    call = {"caller": "+86 139 0000 1234", "callee": "021-61234567", "started_at": "2025-11-03T09:30:00+08:00", "duration_seconds": 95,
            "rep_id": org.rep.external_id}
    response = client.post(CALLS, call, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "created"
    lead = Lead.objects.get()
    assert (lead.source, lead.phone_key, lead.owner) == (Lead.Source.PHONE, "13900001234", org.rep)
    activity = Activity.objects.get(lead=lead)
    assert activity.kind == Activity.Kind.CALL and activity.duration_seconds == 95
    lead.refresh_from_db()
    assert lead.first_contact_at is not None
    # the phone system reports the same call again: recorded once
    assert client.post(CALLS, call, content_type="application/json").json()["outcome"] == "duplicate"
    assert Lead.objects.count() == 1 and Activity.objects.count() == 1


def test_a_reps_answered_call_with_a_known_lead_is_a_call_activity(org: Org, now):
    lead = LeadFactory(owner=org.rep, status=Lead.Status.ASSIGNED, phone="13900001234", first_contact_at=None)
    call = {"caller": "13800000001", "callee": "139-0000-1234", "started_at": "2025-11-03T09:40:00+08:00", "duration_seconds": 300}
    response = bearer(org.rep).post(CALLS, call, content_type="application/json")
    assert response.json()["outcome"] == "activity" and response.json()["lead_id"] == lead.external_id
    lead.refresh_from_db()
    assert lead.first_contact_at is not None and Activity.objects.get().owner == org.rep
    # an unanswered call proves nothing
    missed = {**call, "started_at": "2025-11-03T09:50:00+08:00", "duration_seconds": 0}
    assert bearer(org.rep).post(CALLS, missed, content_type="application/json").json()["outcome"] == "ignored"
    assert Activity.objects.count() == 1


def test_a_rep_cannot_report_calls_for_someone_else(org: Org, now):
    call = {"caller": "13900001234", "callee": "13800000002", "started_at": "2025-11-03T09:40:00+08:00", "duration_seconds": 3,
            "rep_id": org.rep2.external_id}
    assert bearer(org.rep).post(CALLS, call, content_type="application/json").status_code == 403
    assert not Lead.objects.exists()


def test_the_call_log_csv_page(org: Org, now, routed_to, login):
    LeadFactory(owner=org.rep, status=Lead.Status.ASSIGNED, phone="13900005555")
    csv_text = (
        "caller,callee,started_at,duration_seconds,rep\n"
        "13900001234,02161234567,2025-11-03 09:00:00,0,\n"  # a missed call from a stranger: routed lead
        f"13800000001,13900005555,2025-11-03 09:10:00,120,{org.rep.email}\n"  # 张三 calls his lead
        "bad,row,yesterday,x,\n"
    )
    upload = SimpleUploadedFile("calls.csv", csv_text.encode(), content_type="text/csv")
    response = login(org.admin).post(reverse("web:capture_calls"), {"file": upload})
    assert response.status_code == 200
    assert Lead.objects.get(phone_key="13900001234").owner == routed_to
    assert Activity.objects.filter(kind=Activity.Kind.CALL, owner=org.rep).count() == 1
    assert "第 4 行" in response.content.decode()
    assert login(org.rep).get(reverse("web:capture_calls")).status_code == 403
