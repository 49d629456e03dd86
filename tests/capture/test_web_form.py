"""The public web form: its page and embed script, signed tokens, honeypot, per-IP flood limit, thank-you redirect."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.capture.conftest import Org
from xiaoguan.capture.models import LeadCapture, WebForm
from xiaoguan.leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def web_form(org: Org, now) -> WebForm:
    return WebForm.objects.create(
        name="官网", title="预约演示", fields=["name", "company", "phone", "email", "message"], thank_you_url="https://example.cn/thanks",
        team=org.east, created_at=now,
    )


def _url(form: WebForm, name: str = "web:capture_form_public") -> str:
    return reverse(name, kwargs={"token": form.token})


def _post(client: Client, form: WebForm, **fields):
    data = {"name": "陈工", "company": "苏州精测仪器有限公司", "phone": "138 0013 8000", "message": "想要报价", **fields}
    return client.post(_url(form), data, REMOTE_ADDR=fields.pop("ip", "198.51.100.7"))


def test_a_visitor_submits_the_form_and_is_sent_to_the_thank_you_page(web_form, routed_to):
    # given the form page, which needs no login and no CSRF cookie
    client = Client(enforce_csrf_checks=True)
    page = client.get(_url(web_form))
    assert page.status_code == 200 and "预约演示" in page.content.decode()
    # when a visitor posts it
    response = _post(client, web_form)
    # then they are sent on with 303, and the lead is routed with its raw post kept
    assert response.status_code == 303 and response["Location"] == "https://example.cn/thanks"
    lead = Lead.objects.get()
    assert (lead.source, lead.phone_key, lead.owner, lead.region) == (Lead.Source.WEB_FORM, "13800138000", routed_to, web_form.team)
    capture = LeadCapture.objects.get()
    assert capture.web_form == web_form and capture.message == "想要报价" and capture.raw["post"]["company"] == "苏州精测仪器有限公司"
    assert capture.ip == "198.51.100.7"


def test_without_a_thank_you_url_our_own_page_thanks_them(web_form, routed_to):
    web_form.thank_you_url = ""
    web_form.save()
    response = _post(Client(), web_form)
    assert response.status_code == 303 and response["Location"] == _url(web_form, "web:capture_form_thanks")
    assert Client().get(response["Location"]).status_code == 200


def test_a_forged_or_retired_token_finds_no_form(web_form):
    client = Client()
    forged = f"{web_form.pk}.{web_form.nonce}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert client.post(reverse("web:capture_form_public", kwargs={"token": forged}), {"name": "x", "phone": "13800138000"}).status_code == 404
    old = web_form.token
    web_form.nonce = "new"
    web_form.save()
    assert client.get(reverse("web:capture_form_public", kwargs={"token": old})).status_code == 404
    web_form.enabled = False
    web_form.save()
    assert client.get(_url(web_form)).status_code == 404
    assert not LeadCapture.objects.exists()


def test_the_honeypot_looks_like_success_to_a_bot_but_stores_nothing(web_form):
    response = _post(Client(), web_form, website="http://spam.example")
    assert response.status_code == 303
    assert not Lead.objects.exists() and not LeadCapture.objects.exists()


def test_a_flood_from_one_address_gets_429_and_stores_nothing(web_form, settings, routed_to):
    # given a limit of 5 posts a minute per address
    settings.XIAOGUAN_RATE_LIMITS = {"webform": "5/60"}
    client = Client()
    # when one address posts 50 different leads
    responses = [_post(client, web_form, phone=f"1380013{i:04d}") for i in range(50)]
    # then the first 5 are taken and the other 45 answered 429 with nothing stored
    assert [r.status_code for r in responses] == [303] * 5 + [429] * 45
    assert Lead.objects.count() == 5 and LeadCapture.objects.count() == 5


def test_the_limit_counts_per_address(web_form, settings, routed_to):
    settings.XIAOGUAN_RATE_LIMITS = {"webform": "3/60"}
    client = Client()
    statuses = [_post(client, web_form, phone=f"1380013{i:04d}").status_code for i in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    # another address still gets through
    assert _post(client, web_form, phone="13900000000", ip="198.51.100.8").status_code == 303
    assert Lead.objects.count() == 4


def test_a_form_without_a_way_to_call_back_is_shown_again_with_the_reason(web_form):
    response = _post(Client(), web_form, phone="", email="")
    assert response.status_code == 422 and "请留下手机或邮箱" in response.content.decode()
    response = _post(Client(), web_form, email="not-an-email")
    assert response.status_code == 422
    assert not Lead.objects.exists()


def test_emoji_and_a_huge_name_go_through_the_form(web_form, routed_to):
    response = _post(Client(), web_form, name="🚀" * 10_000)
    assert response.status_code == 303
    assert Lead.objects.get().name == "🚀" * 100


def test_the_embed_script_renders_the_form_into_the_host_page(web_form):
    response = Client().get(_url(web_form, "web:capture_form_embed"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    script = response.content.decode()
    assert "http://testserver" + _url(web_form) in script and "website" in script
    assert "document.currentScript" in script and "<script" not in script.lower().replace("document.currentscript", "")


def test_the_embed_script_cannot_be_broken_out_of_by_a_title(web_form):
    web_form.title = "</script><script>alert(1)</script>"
    web_form.save()
    script = Client().get(_url(web_form, "web:capture_form_embed")).content.decode()
    assert "</script>" not in script and "\\u003C/script\\u003E" in script
