from __future__ import annotations

from datetime import datetime

import pytest

from xiaoguan.core.clock import clock_frozen_at, clock_now, org_tz, parse_as_of, parse_until


def test_as_of_date_means_midnight_in_the_organisation_time_zone():
    assert parse_as_of("2025-10-01") == datetime(2025, 10, 1, tzinfo=org_tz())
    assert parse_as_of("2025-10-01T08:00:00+00:00").utcoffset().total_seconds() == 0
    assert parse_until("2025-12-31") == datetime(2026, 1, 1, tzinfo=org_tz())


def test_frozen_clock_is_what_now_returns():
    instant = datetime(2025, 3, 7, 17, 30, tzinfo=org_tz())
    with clock_frozen_at(instant):
        assert clock_now() == instant
    assert clock_now() != instant


def test_naive_instants_are_refused():
    naive = datetime(2025, 3, 7)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="aware"), clock_frozen_at(naive):
        pass
