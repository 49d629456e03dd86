"""WeCom and DingTalk callbacks, with payloads signed and encrypted here exactly as the platforms document it."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from tests.capture.conftest import Org, aes_key_new, signed
from xiaoguan.capture import crypto
from xiaoguan.capture.models import CaptureChannel, LeadCapture
from xiaoguan.leads.models import Lead

pytestmark = pytest.mark.django_db

CORP_ID = "ww1234567890abcdef"
APP_KEY = "dingabcdefg123456"


@pytest.fixture
def wecom(org: Org, now) -> CaptureChannel:
    return CaptureChannel.objects.create(
        kind=CaptureChannel.Kind.WECOM, name="企业微信", token="wecomToken123", encoding_aes_key=aes_key_new(), receive_id=CORP_ID,
        team=org.east, created_at=now,
    )


@pytest.fixture
def dingtalk(org: Org, now) -> CaptureChannel:
    return CaptureChannel.objects.create(
        kind=CaptureChannel.Kind.DINGTALK, name="钉钉", token="dingToken456", encoding_aes_key=aes_key_new(), receive_id=APP_KEY,
        team=org.east, created_at=now,
    )


def _wecom_url(channel: CaptureChannel) -> str:
    return reverse("web:capture_hook_wecom", kwargs={"key": channel.url_key})


def _dingtalk_url(channel: CaptureChannel) -> str:
    return reverse("web:capture_hook_dingtalk", kwargs={"key": channel.url_key})


def _wecom_text(sender: str, content: str, msg_id: str) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>1730600000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    ).encode()


def _wecom_post(client: Client, channel: CaptureChannel, inner: bytes, *, token: str | None = None, receive_id: str = CORP_ID):
    sig = signed(token=token or channel.token, aes_key=channel.encoding_aes_key, receive_id=receive_id, message=inner)
    body = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{sig['encrypt']}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
    query = f"?msg_signature={sig['msg_signature']}&timestamp={sig['timestamp']}&nonce={sig['nonce']}"
    return client.post(_wecom_url(channel) + query, body, content_type="text/xml")


def test_crypto_round_trip_and_tampering():
    key = aes_key_new()
    encrypted = crypto.encrypt(encoding_aes_key=key, message="你好 hello".encode(), receive_id=CORP_ID)
    assert crypto.decrypt(encoding_aes_key=key, encrypted=encrypted, receive_id=CORP_ID) == "你好 hello".encode()
    with pytest.raises(crypto.CallbackCryptoError):
        crypto.decrypt(encoding_aes_key=key, encrypted=encrypted, receive_id="another-corp")
    with pytest.raises(crypto.CallbackCryptoError):
        crypto.decrypt(encoding_aes_key=aes_key_new(), encrypted=encrypted, receive_id=CORP_ID)
    with pytest.raises(crypto.CallbackCryptoError):
        crypto.decrypt(encoding_aes_key=key, encrypted="!!not base64!!", receive_id=CORP_ID)


def test_wecom_url_verification_answers_the_decrypted_echostr(wecom):
    # given the request WeCom sends when the admin saves the callback URL
    sig = signed(token=wecom.token, aes_key=wecom.encoding_aes_key, receive_id=CORP_ID, message=b"4920481357602651")
    query = {"msg_signature": sig["msg_signature"], "timestamp": sig["timestamp"], "nonce": sig["nonce"], "echostr": sig["encrypt"]}
    # when it arrives
    response = Client().get(_wecom_url(wecom), query)
    # then the plaintext comes back
    assert response.status_code == 200 and response.content == b"4920481357602651"


def test_a_wecom_customer_message_becomes_a_lead_and_the_next_one_attaches_to_it(wecom, routed_to):
    client = Client(enforce_csrf_checks=True)
    # when a customer writes, giving a phone number
    response = _wecom_post(client, wecom, _wecom_text("wmCustomer001", "你好，我是陈工，电话 138-0013-8000，想了解价格", "1001"))
    # then a routed lead exists, with the sender and the message kept
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert (lead.source, lead.phone_key, lead.name, lead.owner) == (Lead.Source.WECOM, "13800138000", "陈工", routed_to)
    capture = LeadCapture.objects.get()
    assert capture.sender_id == "wmCustomer001" and capture.raw["Content"].startswith("你好") and capture.channel == wecom
    # when the same customer writes again (no phone this time)
    _wecom_post(client, wecom, _wecom_text("wmCustomer001", "请尽快回复", "1002"))
    # then it attaches to the same lead
    assert Lead.objects.count() == 1 and LeadCapture.objects.filter(lead=lead).count() == 2
    lead.refresh_from_db()
    assert lead.capture_count == 2


def test_wecom_retries_of_one_message_are_taken_once(wecom, routed_to):
    client = Client()
    for _ in range(3):
        assert _wecom_post(client, wecom, _wecom_text("wmCustomer001", "电话13800138000", "2001")).status_code == 200
    assert LeadCapture.objects.count() == 1 and Lead.objects.count() == 1


def test_a_new_external_contact_becomes_the_adding_reps_lead(org: Org, wecom, routed_to):
    event = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1730600100</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>"
        "<ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>"
        "<ExternalUserID><![CDATA[wmExternal42]]></ExternalUserID><State><![CDATA[expo]]></State><WelcomeCode><![CDATA[W]]></WelcomeCode></xml>"
    ).encode()
    assert _wecom_post(Client(), wecom, event).status_code == 200
    lead = Lead.objects.get()
    assert lead.owner == org.rep and LeadCapture.objects.get().sender_id == "wmExternal42"


@pytest.mark.parametrize("forgery", ["token", "receive_id", "signature"])
def test_a_forged_wecom_callback_is_refused_logged_and_stores_nothing(wecom, caplog, forgery):
    inner = _wecom_text("wmCustomer001", "电话13800138000", "3001")
    client = Client()
    with caplog.at_level(logging.WARNING, logger="xiaoguan.web.views.capture"):
        if forgery == "token":
            response = _wecom_post(client, wecom, inner, token="guessed")
        elif forgery == "receive_id":
            response = _wecom_post(client, wecom, inner, receive_id="another-corp")
        else:
            sig = signed(token=wecom.token, aes_key=wecom.encoding_aes_key, receive_id=CORP_ID, message=inner)
            body = f"<xml><Encrypt><![CDATA[{sig['encrypt']}]]></Encrypt></xml>"
            response = client.post(_wecom_url(wecom) + f"?msg_signature={'0' * 40}&timestamp=1&nonce=2", body, content_type="text/xml")
    assert response.status_code == 403
    assert "callback refused" in caplog.text
    assert not Lead.objects.exists() and not LeadCapture.objects.exists()


def test_wecom_xml_with_a_dtd_is_refused(wecom):
    body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    assert Client().post(_wecom_url(wecom) + "?msg_signature=x&timestamp=1&nonce=2", body, content_type="text/xml").status_code == 403


def test_an_unknown_channel_key_is_refused(wecom):
    assert Client().get(reverse("web:capture_hook_wecom", kwargs={"key": "nope"})).status_code == 403


def _dingtalk_post(client: Client, channel: CaptureChannel, event: dict, *, token: str | None = None, names=("signature", "timestamp")):
    sig = signed(token=token or channel.token, aes_key=channel.encoding_aes_key, receive_id=APP_KEY, message=json.dumps(event).encode(),
                 timestamp="1730600000123")
    query = f"?{names[0]}={sig['msg_signature']}&{names[1]}={sig['timestamp']}&nonce={sig['nonce']}"
    return client.post(_dingtalk_url(channel) + query, json.dumps({"encrypt": sig["encrypt"]}), content_type="application/json")


def _assert_encrypted_success(channel: CaptureChannel, response) -> None:
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    expected = crypto.signature(token=channel.token, timestamp=body["timeStamp"], nonce=body["nonce"], encrypt=body["encrypt"])
    assert body["msg_signature"] == expected
    assert crypto.decrypt(encoding_aes_key=channel.encoding_aes_key, encrypted=body["encrypt"], receive_id=APP_KEY) == b"success"


@pytest.mark.parametrize("names", [("signature", "timestamp"), ("msg_signature", "timeStamp")])
def test_dingtalk_check_url_gets_the_encrypted_success(dingtalk, names):
    response = _dingtalk_post(Client(), dingtalk, {"EventType": "check_url"}, names=names)
    _assert_encrypted_success(dingtalk, response)
    assert not LeadCapture.objects.exists()


def test_a_dingtalk_message_becomes_a_lead_and_merges_with_the_web_lead_of_the_same_phone(org: Org, dingtalk, routed_to, now):
    # given a lead that came from the web form with the same mobile
    from tests.factories.sales import LeadFactory

    web_lead = LeadFactory(owner=org.rep, status=Lead.Status.ASSIGNED, phone="13800138000", email="")
    client = Client()
    # when a message arrives on DingTalk from a new person, and one from a person whose number we know
    event = {"EventType": "im_message", "senderStaffId": "ding-user-7", "senderNick": "周工", "text": {"content": "想要报价，电话13900001111"},
             "msgId": "m-1"}
    _assert_encrypted_success(dingtalk, _dingtalk_post(client, dingtalk, event))
    known = {"EventType": "im_message", "senderId": "ding-user-8", "text": {"content": "我的手机 +86 138 0013 8000"}, "msgId": "m-2"}
    _assert_encrypted_success(dingtalk, _dingtalk_post(client, dingtalk, known))
    # then the first is a new lead named after the sender; the second merged into the web lead
    new = Lead.objects.get(source=Lead.Source.DINGTALK)
    assert (new.name, new.phone_key, new.owner) == ("周工", "13900001111", routed_to)
    assert LeadCapture.objects.get(sender_id="ding-user-8").lead == web_lead
    web_lead.refresh_from_db()
    assert web_lead.capture_count == 2


def test_a_forged_dingtalk_callback_is_refused_logged_and_stores_nothing(dingtalk, caplog):
    event = {"EventType": "im_message", "senderId": "x", "text": {"content": "13900001111"}}
    with caplog.at_level(logging.WARNING, logger="xiaoguan.web.views.capture"):
        response = _dingtalk_post(Client(), dingtalk, event, token="guessed")
        junk = Client().post(_dingtalk_url(dingtalk) + "?signature=a&timestamp=1&nonce=2", "not json", content_type="application/json")
    assert response.status_code == 403 and junk.status_code == 403
    assert caplog.text.count("callback refused") == 2
    assert not Lead.objects.exists() and not LeadCapture.objects.exists()
