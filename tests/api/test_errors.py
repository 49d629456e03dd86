"""Every 4xx has one body: {"code", "message", "errors": [{"field", "message"}]}; a bad value never half-writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.api.conftest import Org
from tests.factories.sales import AccountFactory, LeadFactory, OpportunityFactory
from xiaoguan.customers.models import Account
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import User

Api = Callable[[User], Client]


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, body, content_type="application/json")


def field_errors(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_validation_error_lists_every_bad_field_in_one_body(org: Org, api: Api) -> None:
    # given a lead with a negative budget, an unknown source, a bad e-mail and a field that does not exist
    body = {"company": "某公司", "budget": -1, "source": "billboard", "email": "not-an-email", "budjet": 5}
    # when it is posted
    response = post(api(org.rep), "/api/leads", body)
    # then one 422 names each problem, in Chinese by default, and nothing is written
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert response.json()["message"] == "输入有误"
    errors = field_errors(response)
    assert errors["budget"] == "不能为负数"
    assert "web_form" in errors["source"]
    assert errors["email"] == "邮箱格式不正确"
    assert errors["budjet"] == "不认识的字段"
    assert not Lead.objects.exists()


def test_domain_rule_errors_use_the_same_shape(org: Org, api: Api) -> None:
    # given a lead with neither name nor company (a rule of lead_create, not of the schema)
    # when it is posted
    response = post(api(org.rep), "/api/leads", {"phone": "13800001234"})
    # then the service's field error comes back in the same shape
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert field_errors(response) == {"name": "姓名和公司至少填写一项"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"account_id": "A-1", "amount": "lots"}, "amount"),
        ({"account_id": "A-1", "amount": -5}, "amount"),
        ({"account_id": "A-1", "amount": 1.234}, "amount"),
        ({"account_id": "A-1", "amount": 1e20}, "amount"),
        ({"account_id": "A-1", "expected_close": "30/06/2025"}, "expected_close"),
        ({"account_id": "A-1", "expected_close": "0001-01-01"}, "expected_close"),
        ({"account_id": "A-1", "name": "长" * 201}, "name"),
        ({"account_id": "A-1", "name": "bad\x00byte"}, "name"),
        ({"account_id": "A-1", "pipeline": "no-such-pipeline"}, "pipeline"),
        ({"account_id": "no-such-account"}, "account_id"),
        ({"account_id": 12}, "account_id"),
        ({}, "account_id"),
    ],
)
def test_a_bad_value_in_any_field_is_a_422_and_writes_nothing(org: Org, api: Api, body: dict[str, Any], field: str) -> None:
    # given the rep's account
    AccountFactory(external_id="A-1", owner=org.rep)
    # when a deal is posted with one bad value
    response = post(api(org.rep), "/api/opportunities", body)
    # then the field is named in a 422 and no deal exists
    assert response.status_code == 422, response.content
    assert field in field_errors(response)
    assert not Opportunity.objects.exists()


def test_refused_conversion_writes_nothing(org: Org, api: Api) -> None:
    # given a conversion that names an existing account but an unknown pipeline
    LeadFactory(external_id="L-1", owner=org.rep)
    AccountFactory(external_id="A-1", owner=org.rep)
    # when the lead is converted
    response = post(api(org.rep), "/api/leads/L-1/convert", {"account_id": "A-1", "pipeline": "nope"})
    # then it is refused and the lead, the accounts and the deals are as they were
    assert response.status_code == 422
    assert field_errors(response).keys() == {"pipeline"}
    assert Lead.objects.get(external_id="L-1").status == Lead.Status.ASSIGNED
    assert Account.objects.count() == 1
    assert not Opportunity.objects.exists()


def test_valid_values_that_together_overflow_a_column_are_not_a_server_error(org: Org, api: Api) -> None:
    # given an account with a 200-character name (the most its column holds)
    AccountFactory(external_id="A-1", owner=org.rep, name="长" * 200)
    # when a deal without a name is opened on it, so the service names it "<account>-<product line>" (301 characters)
    response = post(api(org.rep), "/api/opportunities", {"account_id": "A-1", "product_line": "线" * 100})
    # then the answer is a success (SQLite keeps long text) or a 4xx (PostgreSQL refuses it), never a 5xx,
    # and a refusal leaves nothing behind
    assert response.status_code in (201, 422)
    if response.status_code == 422:
        assert response.json()["code"] == "validation_failed"
        assert not Opportunity.objects.exists()


def test_malformed_json_is_a_400(org: Org, api: Api) -> None:
    # given a body that is not JSON
    # when it is posted
    response = api(org.rep).post("/api/leads", "{company: 1", content_type="application/json")
    # then it is a 400 in the error shape
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "NaN", '{"company": "x", "budget": NaN}'])
def test_json_that_is_not_an_object_or_holds_nan_is_refused(org: Org, api: Api, body: str) -> None:
    # given a JSON value of the wrong kind
    # when it is posted
    response = api(org.rep).post("/api/leads", body, content_type="application/json")
    # then it is a 4xx in the error shape and nothing is written
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"code", "message", "errors"}
    assert not Lead.objects.exists()


def test_bad_query_parameters_are_a_422(org: Org, api: Api) -> None:
    # given list parameters of the wrong kind
    # when the list is asked for
    response = api(org.rep).get("/api/leads?limit=500&offset=-1&status=hot&created_after=yesterday")
    # then each one is named
    assert response.status_code == 422
    assert field_errors(response).keys() == {"limit", "offset", "status", "created_after"}


def test_invalid_state_is_a_409(org: Org, api: Api) -> None:
    # given a deal already lost
    OpportunityFactory(external_id="O-1", owner=org.rep, account=AccountFactory(owner=org.rep), status="lost")
    # when it is lost again
    response = post(api(org.rep), "/api/opportunities/O-1/close-lost", {"reason": "又丢了"})
    # then the state conflict is a 409 with the service's message
    assert response.status_code == 409
    assert response.json() == {"code": "invalid_state", "message": "商机已关闭", "errors": []}


def test_unknown_path_under_api_is_a_json_404(org: Org, api: Api) -> None:
    # given a path the API does not have
    # when it is called
    response = api(org.rep).get("/api/lead/does-not-exist")
    # then the 404 is JSON in the error shape, not an HTML page
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_messages_follow_accept_language(org: Org, api: Api) -> None:
    # given a client that prefers English
    client = api(org.rep)
    # when it sends a bad lead and asks for a missing one
    invalid = client.post("/api/leads", {"budget": -1, "company": "x"}, content_type="application/json", headers={"accept-language": "en"})
    missing = client.get("/api/leads/nope", headers={"accept-language": "en"})
    # then the messages are English
    assert invalid.json()["message"] == "Please correct the input"
    assert field_errors(invalid) == {"budget": "Cannot be negative"}
    assert missing.json()["message"] == "Record not found"
