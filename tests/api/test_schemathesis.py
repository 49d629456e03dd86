"""Property-based run over the OpenAPI document: no input, however malformed, makes the API answer 5xx.

Bounded (a few dozen examples per operation) so the whole run stays within a couple of minutes on a laptop.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Org
from tests.factories.sales import (
    T0,
    AccountFactory,
    ActivityFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
    stage,
)
from xiaoguan.api.urls import api
from xiaoguan.core.clock import clock_now
from xiaoguan.engagement.models import TouchEvent
from xiaoguan.org.services import api_token_create
from xiaoguan.receivables.models import Invoice
from xiaoguan.targets.models import Target

pytestmark = pytest.mark.slow

# A deeper hunt (minutes, not seconds): XIAOGUAN_SCHEMATHESIS_EXAMPLES=200 XIAOGUAN_SCHEMATHESIS_COVERAGE=1 pytest …
MAX_EXAMPLES = int(os.environ.get("XIAOGUAN_SCHEMATHESIS_EXAMPLES", "25"))
COVERAGE_PHASE = os.environ.get("XIAOGUAN_SCHEMATHESIS_COVERAGE") == "1"
# Whose token the run uses (an attribute of tests.api.conftest.Org): the manager sees the most and may change much.
AS_USER = os.environ.get("XIAOGUAN_SCHEMATHESIS_USER", "manager")

# Records with fixed ids, so path parameters can point at real rows as well as at generated strings.
REAL_IDS: dict[str, list[str]] = {
    "lead_id": ["st-L-1", "st-L-2", "st-L-3", "st-L-4"],
    "account_id": ["st-A-1", "st-A-2"],
    "contact_id": ["st-C-1"],
    "opportunity_id": ["st-O-1", "st-O-2", "st-O-3", "st-O-4", "st-O-5"],
    "activity_id": ["st-ACT-1"],
    "task_id": ["st-K-1", "st-K-2", "st-K-3"],
    "event_id": ["st-E-1"],
    "invoice_id": ["st-INV-1"],
    "target_id": ["st-TG-1"],
    "pipeline_key": ["standard"],
}
# The same for references inside a request body.
REAL_BODY_VALUES: dict[str, list[str]] = {
    "account_id": ["st-A-1", "st-A-2"],
    "opportunity_id": ["st-O-1", "st-O-2"],
    "lead_id": ["st-L-1", "st-L-2"],
    "owner_id": ["u-rep", "u-rep2", "u-manager"],
    "region_id": ["t-east", "t-north"],
    "pipeline": ["standard"],
    "stage": ["needs_diagnosed", "contract_signed", "lead_confirmed"],
}


def _world(org: Org) -> None:
    rep, other = org.rep, org.rep_north
    mine = AccountFactory(external_id="st-A-1", owner=rep, region=org.east)
    AccountFactory(external_id="st-A-2", owner=other, region=org.north)
    ContactFactory(external_id="st-C-1", account=mine)
    LeadFactory(external_id="st-L-1", owner=rep, region=org.east)
    LeadFactory(external_id="st-L-2", owner=org.rep2, region=org.east)
    LeadFactory(external_id="st-L-3", owner=other)
    OpportunityFactory(external_id="st-O-1", account=mine, owner=rep)
    OpportunityFactory(external_id="st-O-2", account=mine, owner=rep, amount=Decimal("12.34"))
    OpportunityFactory(external_id="st-O-3", owner=other)
    OpportunityFactory(external_id="st-O-4", account=mine, owner=rep, status="lost", lost_reason="预算取消", closed_at=T0)
    OpportunityFactory(external_id="st-O-5", account=mine, owner=rep, status="won", stage=stage("contract_signed"), closed_at=T0)
    LeadFactory(external_id="st-L-4", owner=rep, status="disqualified")
    ActivityFactory(external_id="st-ACT-1", owner=rep, account=mine)
    now = clock_now()
    TaskFactory(external_id="st-K-1", owner=rep, due_at=now + timedelta(days=1))
    TaskFactory(external_id="st-K-2", owner=org.rep2, due_at=now + timedelta(days=2))
    TaskFactory(external_id="st-K-3", owner=rep, due_at=now, done_at=now)
    TouchEvent.objects.create(external_id="st-E-1", tracked_item_key="doc-1", document="方案.pdf", account=mine, kind="opened", occurred_at=now)
    Invoice.objects.create(external_id="st-INV-1", account=mine, amount=Decimal("1000.50"), issued_on=now.date(), due_on=now.date())
    Target.objects.create(external_id="st-TG-1", period="2025-Q4", scope_kind="user", user=rep, amount=Decimal("500000"))


CONFIG = schemathesis.Config.from_dict({
    "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "with-security-parameters": False},
    "phases": {"coverage": {"enabled": COVERAGE_PHASE}, "stateful": {"enabled": False}},
})
# The document comes straight from the API object (the same one /api/openapi.json serves), so collecting this
# module needs no URLs and no database; requests go to the WSGI application.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/"), config=CONFIG)
schema.app = WSGIHandler()


def _swap(values: dict[str, Any], real_values: dict[str, list[str]]) -> None:
    for name, value in values.items():
        real = real_values.get(name, [])
        # Deterministic (no second source of randomness beside Hypothesis): the generated value picks the swap.
        choice = zlib.crc32(repr(value).encode()) % (len(real) + 1)
        if choice < len(real):
            values[name] = real[choice]


def _point_at_real_rows(case: Any) -> None:
    """Most generated ids match nothing; swap some for real ones so reads and actions run on existing records.

    Only parts generated as valid are touched, so a case meant to be invalid stays invalid.
    """
    negative = case.meta.is_negative_at if case.meta is not None else (lambda location: False)
    if case.path_parameters and not negative(ParameterLocation.PATH):
        _swap(case.path_parameters, REAL_IDS)
    if isinstance(case.body, dict) and not negative(ParameterLocation.BODY):
        _swap(case.body, REAL_BODY_VALUES)


@pytest.fixture
def bearer(org: Org) -> Iterator[dict[str, str]]:
    """A token header (the manager's unless AS_USER says otherwise), with the small world in the database."""
    _world(org)
    # Django closes "old" connections at the start and end of each request; in a test that would end the test's
    # transaction, so (like django.test.Client) the run keeps the connection open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _, key = api_token_create(user=getattr(org, AS_USER), name="schemathesis", now=clock_now())
        yield {"Authorization": f"Bearer {key}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
# A generous per-request deadline: catches a pathological slow path without flaking on a busy 2-core machine.
@settings(max_examples=MAX_EXAMPLES, deadline=timedelta(seconds=5), suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_answers_with_a_server_error(case: Any, bearer: dict[str, str]) -> None:
    # given any request the document allows, and many it does not
    # when it is sent with a valid manager's token
    # then the answer is never a 5xx, and a 2xx/4xx answer matches its documented schema
    _point_at_real_rows(case)
    case.call_and_validate(
        headers=bearer,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, negative_data_rejection]
    )
