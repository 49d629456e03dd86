"""Who may call the API: a live bearer token, or a logged-in browser session (with CSRF for writes)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.api.conftest import Org
from xiaoguan.core.clock import clock_now
from xiaoguan.org.models import ApiToken
from xiaoguan.org.services import api_token_create

LEAD = {"company": "苏州精测仪器有限公司"}


def test_request_without_a_token_is_refused_with_401_in_the_error_shape(org: Org) -> None:
    # given a client that sends no credentials
    client = Client()
    # when it asks for the leads
    response = client.get("/api/leads")
    # then it gets 401 with the one error body and a Bearer challenge
    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": response.json()["message"], "errors": []}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer xg_not-a-real-key", "Bearer ", "Basic dXNlcjpwYXNz", "xg_no-scheme", "Bearer " + "x" * 5000])
def test_invalid_token_is_refused_with_401(org: Org, header: str) -> None:
    # given a made-up or malformed Authorization header
    client = Client(headers={"authorization": header})
    # when it calls the API
    response = client.get("/api/me")
    # then it is refused as unauthenticated
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_revoked_token_is_refused_with_401(org: Org) -> None:
    # given a token that worked and was then revoked
    token, key = api_token_create(user=org.rep, name="laptop", now=clock_now())
    client = Client(headers={"authorization": f"Bearer {key}"})
    assert client.get("/api/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=clock_now())
    # when it is used again
    response = client.get("/api/me")
    # then it is refused
    assert response.status_code == 401


def test_token_of_a_deactivated_user_is_refused_with_401(org: Org) -> None:
    # given a token whose user has since left
    _, key = api_token_create(user=org.rep, name="laptop", now=clock_now())
    org.rep.is_active = False
    org.rep.save(update_fields=["is_active"])
    # when it is used
    response = Client(headers={"authorization": f"Bearer {key}"}).get("/api/me")
    # then it is refused
    assert response.status_code == 401


def test_valid_token_identifies_the_user(org: Org) -> None:
    # given the rep's token
    _, key = api_token_create(user=org.rep, name="laptop", now=clock_now())
    # when /api/me is asked
    response = Client(headers={"authorization": f"Bearer {key}"}).get("/api/me")
    # then it answers with the rep, by external ids
    assert response.status_code == 200
    assert response.json()["id"] == "u-rep"
    assert response.json()["role"] == "rep"
    assert response.json()["team_id"] == "t-east"
    assert response.json()["manager_id"] == "u-manager"


def test_token_writes_need_no_csrf_token(org: Org) -> None:
    # given a client that enforces CSRF like a browser, but authenticates with a bearer token
    _, key = api_token_create(user=org.rep, name="script", now=clock_now())
    client = Client(enforce_csrf_checks=True, headers={"authorization": f"Bearer {key}"})
    # when it creates a lead
    response = client.post("/api/leads", LEAD, content_type="application/json")
    # then the write goes through
    assert response.status_code == 201


def test_logged_in_session_may_read(org: Org) -> None:
    # given a browser session of the rep
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rep)
    # when the page's script reads /api/me
    response = client.get("/api/me")
    # then the session user is recognised
    assert response.status_code == 200
    assert response.json()["id"] == "u-rep"


def test_session_write_without_csrf_token_is_refused_with_403(org: Org) -> None:
    # given a browser session and a cross-site style post without the CSRF token
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rep)
    # when it tries to create a lead
    response = client.post("/api/leads", LEAD, content_type="application/json")
    # then the write is refused, with the error body
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_session_write_with_csrf_token_is_accepted(org: Org) -> None:
    # given a browser session holding the CSRF cookie, sending it back in the header as pages do
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rep)
    client.cookies["csrftoken"] = "a" * 32
    # when it creates a lead
    response = client.post("/api/leads", LEAD, content_type="application/json", headers={"x-csrftoken": "a" * 32})
    # then the lead is created for the session user
    assert response.status_code == 201
    assert response.json()["owner_id"] == "u-rep"


def test_apitoken_command_prints_a_working_key(org: Org) -> None:
    # given the rep's e-mail
    out, err = StringIO(), StringIO()
    # when an operator runs `xiaoguan apitoken`
    call_command("apitoken", "--email", org.rep.email.upper(), "--name", "ERP", stdout=out, stderr=err)
    key = out.getvalue().strip()
    # then stdout holds only the key, and the key opens the API as the rep
    assert key.startswith("xg_") and "\n" not in key
    assert ApiToken.objects.get(user=org.rep).name == "ERP"
    assert Client(headers={"authorization": f"Bearer {key}"}).get("/api/me").json()["id"] == "u-rep"


def test_apitoken_command_refuses_an_unknown_email_with_exit_code_1(org: Org) -> None:
    # given an e-mail nobody has
    # when the command runs
    with pytest.raises(CommandError) as excinfo:
        call_command("apitoken", "--email", "nobody@example.cn", stdout=StringIO(), stderr=StringIO())
    # then it reports an input problem (exit 1) and creates nothing
    assert excinfo.value.returncode == 1
    assert not ApiToken.objects.exists()
