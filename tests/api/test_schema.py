"""The OpenAPI document: served, documents auth, errors and enumerations, and its enums match the models."""

from __future__ import annotations

from enum import Enum

import pytest
from django.db.models import TextChoices
from django.test import Client
from django.urls import resolve

from tests.api.conftest import Org
from xiaoguan.activities.models import Activity, Task
from xiaoguan.api.schemas import enums
from xiaoguan.customers.models import Account, Contact
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity
from xiaoguan.org.models import Role, Team
from xiaoguan.targets.models import Target


@pytest.mark.parametrize(
    ("api_enum", "choices"),
    [
        (enums.RoleEnum, Role),
        (enums.TeamKind, Team.Kind),
        (enums.AccountKind, Account.Kind),
        (enums.AccountSize, Account.Size),
        (enums.AccountGrade, Account.Grade),
        (enums.DecisionRole, Contact.DecisionRole),
        (enums.LeadSource, Lead.Source),
        (enums.LeadStatus, Lead.Status),
        (enums.OpportunityStatus, Opportunity.Status),
        (enums.ActivityKind, Activity.Kind),
        (enums.TaskSource, Task.Source),
        (enums.TouchEventKind, TouchEvent.Kind),
        (enums.TargetScopeKind, Target.ScopeKind),
    ],
)
def test_api_enumerations_match_the_models(api_enum: type[Enum], choices: type[TextChoices]) -> None:
    # given an enumeration of the API and the model's choices
    # when their values are compared
    # then they are the same set, in the same order
    assert [member.value for member in api_enum] == list(choices.values)


def test_openapi_document_is_public_and_documents_bearer_auth_and_errors(db: object) -> None:
    # given no credentials
    client = Client()
    # when the document is fetched
    document = client.get("/api/openapi.json").json()
    # then it names the bearer scheme, the error body on every operation, and the enumerations
    assert document["components"]["securitySchemes"]["BearerTokenAuth"] == {"type": "http", "scheme": "bearer"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert {"401", "404", "422"} <= set(operation["responses"]), f"{method} {path}"
    assert document["components"]["schemas"]["LeadStatus"]["enum"] == list(Lead.Status.values)
    assert document["paths"]["/api/leads"]["post"]["operationId"] == "leads_create"


def test_the_site_mounts_the_api_at_api() -> None:
    # given the site's URL configuration
    # when an API path is resolved in it
    match = resolve("/api/leads", urlconf="config.urls")
    # then the API answers it
    assert match.namespace == "api"
    assert match.url_name == "leads_list"


def test_docs_page_is_served(db: object) -> None:
    # given a browser
    # when it opens /api/docs
    response = Client().get("/api/docs")
    # then the interactive documentation is there
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_answers_are_utf8_json_with_chinese_unescaped(org: Org) -> None:
    # given the rep's session
    client = Client()
    client.force_login(org.rep)
    # when /api/me is read
    response = client.get("/api/me")
    # then Chinese is sent as UTF-8, not as \\u escapes
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "张三".encode() in response.content
