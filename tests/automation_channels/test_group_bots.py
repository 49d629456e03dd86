"""Group bots (WeCom, DingTalk, Feishu): the documented JSON, the signatures recomputed here, errcodes as failures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.automation_channels.receivers import HttpReceiver, Reply
from xiaoguan.automation.channels import DeliveryFailed, Message, deliver

NOW = datetime(2025, 3, 7, 17, 30, 5, 250000, tzinfo=ZoneInfo("Asia/Shanghai"))
MESSAGE = Message(title="新线索：上海某某科技有限公司", body="来源：官网表单\n城市：上海", link="https://crm.example.cn/leads/L-1/")


def test_wecom_bot_posts_a_markdown_message_to_the_webhook(receiver: HttpReceiver):
    # given a WeCom group bot webhook
    url = receiver.url("/cgi-bin/webhook/send?key=abc-123")
    # when a message goes out
    summary = deliver(channel="wecom_bot", address={"url": url}, message=MESSAGE, now=NOW)
    # then the bot got one documented markdown message with the key kept in the query
    [request] = receiver.to("/cgi-bin/webhook/send")
    assert request.method == "POST"
    assert request.query == {"key": "abc-123"}
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**新线索：上海某某科技有限公司**\n来源：官网表单\n城市：上海\n[查看详情](https://crm.example.cn/leads/L-1/)"
        },
    }
    assert '"errcode": 0' in summary


def test_wecom_bot_cuts_long_markdown_to_4096_bytes(receiver: HttpReceiver):
    deliver(channel="wecom_bot", address={"url": receiver.url("/hook")}, message=Message(title="长", body="字" * 3000), now=NOW)
    content = receiver.requests[0].json["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith("…")


def test_wecom_bot_rate_limit_is_retryable_and_a_bad_key_is_not(receiver: HttpReceiver):
    receiver.reply("/hook", Reply(body={"errcode": 45009, "errmsg": "api freq out of limit"}))
    receiver.reply("/hook", Reply(body={"errcode": 93000, "errmsg": "invalid webhook url"}))
    with pytest.raises(DeliveryFailed) as limited:
        deliver(channel="wecom_bot", address={"url": receiver.url("/hook")}, message=MESSAGE, now=NOW)
    with pytest.raises(DeliveryFailed) as invalid:
        deliver(channel="wecom_bot", address={"url": receiver.url("/hook")}, message=MESSAGE, now=NOW)
    assert limited.value.retryable is True
    assert "45009" in limited.value.detail
    assert invalid.value.retryable is False
    assert "93000" in invalid.value.detail


def _live_now() -> datetime:
    return datetime.now(tz=ZoneInfo("Asia/Shanghai"))


def test_dingtalk_bot_signs_with_timestamp_and_hmac_sha256(receiver: HttpReceiver):
    # given a DingTalk bot with 加签 on
    secret = "SEC0123456789abcdef"
    url = receiver.url("/robot/send?access_token=tok-1")
    # when a message with a link goes out
    now = _live_now()
    deliver(channel="dingtalk_bot", address={"url": url, "secret": secret}, message=MESSAGE, now=now)
    # then the URL carries `now` in milliseconds and the signature DingTalk documents
    [request] = receiver.to("/robot/send")
    timestamp = request.query["timestamp"]
    assert timestamp == str(int(now.timestamp() * 1000))
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert request.query["sign"] == expected  # parse_qs undid the URL encoding: '+' and '/' arrived intact
    assert request.query["access_token"] == "tok-1"
    # and the body is an actionCard with a single button to the link
    assert request.json == {
        "msgtype": "actionCard",
        "actionCard": {
            "title": "新线索：上海某某科技有限公司",
            "text": "### 新线索：上海某某科技有限公司\n\n来源：官网表单\n城市：上海",
            "btnOrientation": "0",
            "singleTitle": "查看详情",
            "singleURL": "https://crm.example.cn/leads/L-1/",
        },
    }


def test_dingtalk_bot_without_secret_or_link_sends_unsigned_markdown(receiver: HttpReceiver):
    deliver(channel="dingtalk_bot", address={"url": receiver.url("/robot/send?access_token=t")}, message=Message(title="日报", body="今日新线索 12 条"), now=NOW)
    [request] = receiver.requests
    assert set(request.query) == {"access_token"}
    assert request.json == {"msgtype": "markdown", "markdown": {"title": "日报", "text": "### 日报\n\n今日新线索 12 条"}}


def test_dingtalk_bot_errcodes(receiver: HttpReceiver):
    receiver.reply("/robot/send", Reply(body={"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}))
    receiver.reply("/robot/send", Reply(body={"errcode": 310000, "errmsg": "sign not match"}))
    address = {"url": receiver.url("/robot/send?access_token=t"), "secret": "SECx"}
    with pytest.raises(DeliveryFailed) as too_fast:
        deliver(channel="dingtalk_bot", address=address, message=MESSAGE, now=NOW)
    with pytest.raises(DeliveryFailed) as bad_sign:
        deliver(channel="dingtalk_bot", address=address, message=MESSAGE, now=NOW)
    assert (too_fast.value.retryable, bad_sign.value.retryable) == (True, False)
    assert "sign not match" in bad_sign.value.detail


def test_feishu_bot_sends_a_signed_post_message(receiver: HttpReceiver):
    # given a Feishu custom bot with 签名校验 on
    secret = "feishu-secret-xyz"
    receiver.default("/open-apis/bot/v2/hook/hook-id", Reply(body={"code": 0, "msg": "success", "data": {}}))
    # when a message goes out
    now = _live_now()
    summary = deliver(channel="feishu_bot", address={"url": receiver.url("/open-apis/bot/v2/hook/hook-id"), "secret": secret}, message=MESSAGE, now=now)
    # then timestamp (seconds) and sign = base64(HMAC-SHA256(key="timestamp\nsecret", msg="")) are in the body
    [request] = receiver.requests
    body = request.json
    assert body["timestamp"] == str(int(now.timestamp()))
    expected = base64.b64encode(hmac.new(f"{body['timestamp']}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    # and the message is a rich-text post, one paragraph a line, the link last
    assert body["msg_type"] == "post"
    assert body["content"] == {
        "post": {
            "zh_cn": {
                "title": "新线索：上海某某科技有限公司",
                "content": [
                    [{"tag": "text", "text": "来源：官网表单"}],
                    [{"tag": "text", "text": "城市：上海"}],
                    [{"tag": "a", "text": "查看详情", "href": "https://crm.example.cn/leads/L-1/"}],
                ],
            }
        }
    }
    assert '"code": 0' in summary


def test_feishu_bot_without_secret_sends_no_signature(receiver: HttpReceiver):
    receiver.default("/hook", Reply(body={"StatusCode": 0, "StatusMessage": "success"}))
    deliver(channel="feishu_bot", address={"url": receiver.url("/hook")}, message=Message(title="测试"), now=NOW)
    body = receiver.requests[0].json
    assert "sign" not in body and "timestamp" not in body
    assert body["content"]["post"]["zh_cn"] == {"title": "测试", "content": []}


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        ({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}, False),
        ({"code": 11232, "msg": "frequency limited"}, True),
        ({"code": 9499, "msg": "Bad Request"}, False),
        ({"StatusCode": 19024, "StatusMessage": "Key Words Not Found"}, False),
    ],
)
def test_feishu_bot_non_zero_code_is_a_failure(receiver: HttpReceiver, answer, retryable):  # type: ignore[no-untyped-def]
    receiver.default("/hook", Reply(body=answer))
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="feishu_bot", address={"url": receiver.url("/hook"), "secret": "s"}, message=MESSAGE, now=NOW)
    assert failed.value.retryable is retryable
    assert str(answer.get("code", answer.get("StatusCode"))) in failed.value.detail


def test_a_replayed_now_signs_with_the_wall_clock(receiver: HttpReceiver):
    # given a sweep replaying last year (--as-of): the platforms refuse signatures an hour away from their clock
    replayed = _live_now() - timedelta(days=365)
    # when both signing bots send
    deliver(channel="dingtalk_bot", address={"url": receiver.url("/ding?access_token=t"), "secret": "SECd"}, message=MESSAGE, now=replayed)
    deliver(channel="feishu_bot", address={"url": receiver.url("/feishu"), "secret": "fs"}, message=MESSAGE, now=replayed)
    # then the timestamps are today's and the signatures match them
    ding, feishu = receiver.requests
    assert abs(int(ding.query["timestamp"]) / 1000 - time.time()) < 5
    assert abs(int(feishu.json["timestamp"]) - time.time()) < 5
    ts = ding.query["timestamp"]
    assert ding.query["sign"] == base64.b64encode(hmac.new(b"SECd", f"{ts}\nSECd".encode(), hashlib.sha256).digest()).decode()
    ts = feishu.json["timestamp"]
    assert feishu.json["sign"] == base64.b64encode(hmac.new(f"{ts}\nfs".encode(), b"", hashlib.sha256).digest()).decode()
