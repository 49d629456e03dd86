"""Work notices to one person: the token fetched once and cached, refreshed once when the platform says it expired."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.automation_channels.receivers import HttpReceiver, Reply
from xiaoguan.automation.channels import DeliveryFailed, Message, deliver

NOW = datetime(2025, 3, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MESSAGE = Message(title="你有一条新线索", body="华东 · 上海某某科技 · 官网表单", link="https://crm.example.cn/leads/L-7/")


def _wecom_tokens(receiver: HttpReceiver, *tokens: str) -> None:
    receiver.reply("/cgi-bin/gettoken", *(Reply(body={"errcode": 0, "errmsg": "ok", "access_token": t, "expires_in": 7200}) for t in tokens))


def test_wecom_notice_sends_a_textcard_to_the_person(wecom_app: HttpReceiver):
    # given the WeCom app's credentials and a token the platform hands out
    _wecom_tokens(wecom_app, "token-A")
    wecom_app.default("/cgi-bin/message/send", Reply(body={"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "m-1"}))
    # when a notice goes to a rep
    summary = deliver(channel="wecom_notice", address={"userid": "zhangsan"}, message=MESSAGE, now=NOW)
    # then the token came from gettoken with the corp id and secret
    [token_request] = wecom_app.to("/cgi-bin/gettoken")
    assert token_request.method == "GET"
    assert token_request.query == {"corpid": "ww0123456789", "corpsecret": "wecom-app-secret"}
    # and the textcard went to the rep, with the app's agent id, carrying the token
    [send] = wecom_app.to("/cgi-bin/message/send")
    assert send.query == {"access_token": "token-A"}
    assert send.json == {
        "touser": "zhangsan",
        "msgtype": "textcard",
        "agentid": 1000002,
        "textcard": {
            "title": "你有一条新线索",
            "description": "华东 · 上海某某科技 · 官网表单",
            "url": "https://crm.example.cn/leads/L-7/",
            "btntxt": "详情",
        },
    }
    assert "m-1" in summary


def test_wecom_notice_reuses_the_cached_token(wecom_app: HttpReceiver):
    _wecom_tokens(wecom_app, "token-A", "token-B")
    deliver(channel="wecom_notice", address={"userid": "a"}, message=MESSAGE, now=NOW)
    deliver(channel="wecom_notice", address={"userid": "b"}, message=MESSAGE, now=NOW)
    assert len(wecom_app.to("/cgi-bin/gettoken")) == 1
    assert [r.query["access_token"] for r in wecom_app.to("/cgi-bin/message/send")] == ["token-A", "token-A"]


def test_wecom_notice_refreshes_an_expired_token_once(wecom_app: HttpReceiver):
    # given a cached token the platform has expired early
    _wecom_tokens(wecom_app, "token-old", "token-new")
    deliver(channel="wecom_notice", address={"userid": "a"}, message=MESSAGE, now=NOW)
    wecom_app.reply("/cgi-bin/message/send", Reply(body={"errcode": 42001, "errmsg": "access_token expired"}))
    # when the next notice goes out
    deliver(channel="wecom_notice", address={"userid": "b"}, message=MESSAGE, now=NOW)
    # then a new token was fetched and the send repeated with it, once
    assert len(wecom_app.to("/cgi-bin/gettoken")) == 2
    assert [r.query["access_token"] for r in wecom_app.to("/cgi-bin/message/send")] == ["token-old", "token-old", "token-new"]


def test_wecom_notice_gives_up_after_one_refresh(wecom_app: HttpReceiver):
    _wecom_tokens(wecom_app, "t1", "t2", "t3")
    wecom_app.default("/cgi-bin/message/send", Reply(body={"errcode": 40014, "errmsg": "invalid access_token"}))
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="wecom_notice", address={"userid": "a"}, message=MESSAGE, now=NOW)
    assert len(wecom_app.to("/cgi-bin/message/send")) == 2
    assert "40014" in failed.value.detail


def test_wecom_notice_without_link_is_plain_text(wecom_app: HttpReceiver):
    _wecom_tokens(wecom_app, "t")
    deliver(channel="wecom_notice", address={"userid": "lisi"}, message=Message(title="日报", body="今日新线索 3 条"), now=NOW)
    assert wecom_app.to("/cgi-bin/message/send")[0].json == {
        "touser": "lisi", "msgtype": "text", "agentid": 1000002, "text": {"content": "日报\n今日新线索 3 条"}
    }


def test_wecom_notice_invalid_user_fails_without_retry(wecom_app: HttpReceiver):
    _wecom_tokens(wecom_app, "t")
    wecom_app.default("/cgi-bin/message/send", Reply(body={"errcode": 0, "errmsg": "ok", "invaliduser": "ghost"}))
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="wecom_notice", address={"userid": "ghost"}, message=MESSAGE, now=NOW)
    assert failed.value.retryable is False
    assert "ghost" in failed.value.detail


def test_wecom_wrong_secret_is_not_retried(wecom_app: HttpReceiver):
    wecom_app.default("/cgi-bin/gettoken", Reply(body={"errcode": 40001, "errmsg": "invalid credential"}))
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="wecom_notice", address={"userid": "a"}, message=MESSAGE, now=NOW)
    assert failed.value.retryable is False
    assert wecom_app.to("/cgi-bin/message/send") == []


def test_work_notice_without_credentials_or_userid_is_not_retried(settings):  # type: ignore[no-untyped-def]
    settings.XIAOGUAN_WECOM_CORP_ID = ""
    with pytest.raises(DeliveryFailed) as unconfigured:
        deliver(channel="wecom_notice", address={"userid": "a"}, message=MESSAGE, now=NOW)
    with pytest.raises(DeliveryFailed) as no_userid:
        deliver(channel="dingtalk_notice", address={"userid": ""}, message=MESSAGE, now=NOW)
    assert unconfigured.value.retryable is False and "XIAOGUAN_WECOM" in unconfigured.value.detail
    assert no_userid.value.retryable is False


def _dingtalk_tokens(receiver: HttpReceiver, *tokens: str) -> None:
    receiver.reply("/gettoken", *(Reply(body={"errcode": 0, "errmsg": "ok", "access_token": t, "expires_in": 7200}) for t in tokens))


SEND_PATH = "/topapi/message/corpconversation/asyncsend_v2"


def test_dingtalk_notice_sends_an_action_card(dingtalk_app: HttpReceiver):
    _dingtalk_tokens(dingtalk_app, "ding-token")
    dingtalk_app.default(SEND_PATH, Reply(body={"errcode": 0, "errmsg": "ok", "task_id": 256271667526, "request_id": "r"}))
    summary = deliver(channel="dingtalk_notice", address={"userid": "manager01"}, message=MESSAGE, now=NOW)
    [token_request] = dingtalk_app.to("/gettoken")
    assert token_request.query == {"appkey": "dingappkey", "appsecret": "dingtalk-app-secret"}
    [send] = dingtalk_app.to(SEND_PATH)
    assert send.query == {"access_token": "ding-token"}
    assert send.json == {
        "agent_id": 2000001,
        "userid_list": "manager01",
        "msg": {
            "msgtype": "action_card",
            "action_card": {
                "title": "你有一条新线索",
                "markdown": "### 你有一条新线索\n\n华东 · 上海某某科技 · 官网表单",
                "single_title": "查看详情",
                "single_url": "https://crm.example.cn/leads/L-7/",
            },
        },
    }
    assert "256271667526" in summary


def test_dingtalk_notice_refreshes_the_token_once_then_reuses_it(dingtalk_app: HttpReceiver):
    _dingtalk_tokens(dingtalk_app, "old", "new")
    dingtalk_app.reply(SEND_PATH, Reply(body={"errcode": 40014, "errmsg": "不合法的access_token"}))
    deliver(channel="dingtalk_notice", address={"userid": "u1"}, message=MESSAGE, now=NOW)
    deliver(channel="dingtalk_notice", address={"userid": "u2"}, message=MESSAGE, now=NOW)
    assert [r.query["access_token"] for r in dingtalk_app.to(SEND_PATH)] == ["old", "new", "new"]
    assert len(dingtalk_app.to("/gettoken")) == 2


def test_dingtalk_notice_busy_is_retryable(dingtalk_app: HttpReceiver):
    _dingtalk_tokens(dingtalk_app, "t")
    dingtalk_app.default(SEND_PATH, Reply(body={"errcode": -1, "errmsg": "系统繁忙"}))
    with pytest.raises(DeliveryFailed) as failed:
        deliver(channel="dingtalk_notice", address={"userid": "u1"}, message=Message(title="无链接"), now=NOW)
    assert failed.value.retryable is True
    assert dingtalk_app.to(SEND_PATH)[0].json["msg"] == {"msgtype": "markdown", "markdown": {"title": "无链接", "text": "### 无链接"}}
