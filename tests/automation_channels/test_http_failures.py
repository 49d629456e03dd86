"""A receiver that is down, slow or broken: which failures are worth a retry."""

from __future__ import annotations

import socket
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.automation_channels.receivers import HttpReceiver, Reply, free_port
from xiaoguan.automation.channels import DeliveryFailed, Message, deliver

NOW = datetime(2025, 3, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MESSAGE = Message(title="测试")


def test_connection_refused_is_retryable():
    # given nobody listening on the port
    url = f"http://127.0.0.1:{free_port()}/hook"
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="wecom_bot", address={"url": url}, message=MESSAGE, now=NOW)
    assert failed.value.retryable is True
    assert "连接失败" in failed.value.detail


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (502, True), (503, True), (429, True), (400, False), (404, False), (403, False)])
def test_http_status_decides_retry(receiver: HttpReceiver, status: int, retryable: bool):
    receiver.default("/hook", Reply(status=status, body={"error": "nope"}))
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="dingtalk_bot", address={"url": receiver.url("/hook")}, message=MESSAGE, now=NOW)
    assert failed.value.retryable is retryable
    assert f"HTTP {status}" in failed.value.detail


def test_a_receiver_that_never_answers_times_out_and_is_retryable(settings):  # type: ignore[no-untyped-def]
    # given a socket that accepts connections and never replies
    settings.XIAOGUAN_NOTIFY_HTTP_TIMEOUT = "0.3"
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        with pytest.raises(DeliveryFailed) as failed:
            deliver(channel="feishu_bot", address={"url": f"http://127.0.0.1:{server.getsockname()[1]}/hook"}, message=MESSAGE, now=NOW)
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
    assert failed.value.retryable is True


def test_a_non_json_answer_is_a_failure_not_a_success(receiver: HttpReceiver):
    receiver.default("/hook", Reply(status=200, body=b"<html>proxy login</html>"))
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="wecom_bot", address={"url": receiver.url("/hook")}, message=MESSAGE, now=NOW)
    assert failed.value.retryable is False
    assert "JSON" in failed.value.detail


@pytest.mark.parametrize("url", ["", "file:///etc/passwd", "ftp://example.cn/x"])
def test_an_unusable_webhook_address_is_not_retried(url: str):
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="wecom_bot", address={"url": url}, message=MESSAGE, now=NOW)
    assert failed.value.retryable is False


def test_an_unknown_channel_is_not_retried():
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="pager", address={}, message=MESSAGE, now=NOW)
    assert failed.value.retryable is False
