"""Properties of the arithmetic over random instants, spans and schedules: round trip, monotonic, never in a break."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiaoguan.core.clock import org_tz
from xiaoguan.worktime.cache import worktime_cache_clear
from xiaoguan.worktime.selectors import business_minutes_between, business_time_add, is_workday

pytestmark = pytest.mark.django_db

# 2024–2027: covered years with holidays and make-up days, and one uncovered year.
instants = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds and adds the zone itself
    max_value=datetime(2027, 12, 1),  # noqa: DTZ001
    timezones=st.just(org_tz()),
)
spans = st.integers(min_value=0, max_value=60 * 24 * 20)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _warm() -> None:
    worktime_cache_clear()


@PROPERTY
@given(start=instants, minutes=spans)
def test_add_then_between_round_trips(start: datetime, minutes: int) -> None:
    due = business_time_add(start=start, minutes=minutes, team_id=None)
    assert due >= start
    assert business_minutes_between(start=start, end=due, team_id=None) == minutes


@PROPERTY
@given(start=instants, a=spans, b=spans)
def test_add_is_monotonic_in_minutes(start: datetime, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert business_time_add(start=start, minutes=lo, team_id=None) <= business_time_add(start=start, minutes=hi, team_id=None)


@PROPERTY
@given(s1=instants, s2=instants, minutes=spans)
def test_add_is_monotonic_in_start(s1: datetime, s2: datetime, minutes: int) -> None:
    early, late = sorted((s1, s2))
    assert business_time_add(start=early, minutes=minutes, team_id=None) <= business_time_add(start=late, minutes=minutes, team_id=None)


@PROPERTY
@given(start=instants, minutes=st.integers(min_value=1, max_value=60 * 24 * 20))
def test_a_positive_add_ends_inside_working_hours_of_a_workday(start: datetime, minutes: int) -> None:
    due = business_time_add(start=start, minutes=minutes, team_id=None).astimezone(org_tz())
    # the instant just before the due time lies in a working period of a workday (starts may carry seconds)
    last = due - timedelta(microseconds=1)
    assert is_workday(last.date())
    minute_of_day = last.hour * 60 + last.minute
    assert 9 * 60 <= minute_of_day < 12 * 60 or 13 * 60 + 30 <= minute_of_day < 18 * 60


@PROPERTY
@given(a=instants, b=instants, c=instants)
def test_between_is_additive(a: datetime, b: datetime, c: datetime) -> None:
    x, y, z = sorted((a, b, c))
    # whole minutes: splitting at a point inside a minute can lose at most one minute of flooring
    whole = business_minutes_between(start=x, end=z, team_id=None)
    parts = business_minutes_between(start=x, end=y, team_id=None) + business_minutes_between(start=y, end=z, team_id=None)
    assert parts <= whole <= parts + 1
