"""Fixtures: local HTTP receivers, an SMTP server, a clean token cache, work-notice credentials pointed at a receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.utils import translation

from tests.automation_channels.receivers import HttpReceiver, SmtpSink


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    # A test client request with Accept-Language leaves its language active in the thread; start each test in Chinese.
    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    r = HttpReceiver()
    yield r
    r.close()


@pytest.fixture
def smtp(settings) -> Iterator[SmtpSink]:  # type: ignore[no-untyped-def]
    sink = SmtpSink()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 5},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "xiaoguan@example.cn"
    yield sink
    sink.close()


@pytest.fixture
def wecom_app(settings, receiver: HttpReceiver) -> HttpReceiver:  # type: ignore[no-untyped-def]
    settings.XIAOGUAN_WECOM_API_BASE = receiver.base
    settings.XIAOGUAN_WECOM_CORP_ID = "ww0123456789"
    settings.XIAOGUAN_WECOM_AGENT_ID = "1000002"
    settings.XIAOGUAN_WECOM_SECRET = "wecom-app-secret"
    return receiver


@pytest.fixture
def dingtalk_app(settings, receiver: HttpReceiver) -> HttpReceiver:  # type: ignore[no-untyped-def]
    settings.XIAOGUAN_DINGTALK_API_BASE = receiver.base
    settings.XIAOGUAN_DINGTALK_APP_KEY = "dingappkey"
    settings.XIAOGUAN_DINGTALK_APP_SECRET = "dingtalk-app-secret"
    settings.XIAOGUAN_DINGTALK_AGENT_ID = "2000001"
    return receiver
