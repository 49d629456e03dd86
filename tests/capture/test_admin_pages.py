"""The admin's capture pages: forms with their snippet and preview, callback channels with their URL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.capture.conftest import Org, aes_key_new
from xiaoguan.capture.models import CaptureChannel, WebForm

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_form_and_gets_the_snippet_and_a_preview(org: Org, now, login):
    client = login(org.admin)
    assert client.get(reverse("web:capture_home")).status_code == 200
    response = client.post(reverse("web:capture_form_new"), {
        "name": "官网-产品页", "title": "预约演示", "shown": ["name", "company", "phone"], "source": "web_form", "team": org.east.pk,
        "enabled": "on",
    })
    form = WebForm.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:capture_form_edit", args=[form.pk])
    page = client.get(response["Location"]).content.decode()
    embed = reverse("web:capture_form_embed", kwargs={"token": form.token})
    assert f'&lt;script src=&quot;http://testserver{embed}&quot; async&gt;&lt;/script&gt;' in page  # the copy-paste snippet
    assert f'<script src="http://testserver{embed}"></script>' in page  # the live preview
    # a new link retires the old token
    old = form.token
    client.post(reverse("web:capture_form_rotate", args=[form.pk]))
    form.refresh_from_db()
    assert form.token != old


def test_a_form_must_show_a_way_to_reach_the_customer(org: Org, now, login):
    response = login(org.admin).post(reverse("web:capture_form_new"), {"name": "x", "shown": ["name", "company"], "source": "web_form"})
    assert response.status_code == 422 and not WebForm.objects.exists()


def test_an_admin_configures_a_wecom_channel_and_sees_its_callback_url(org: Org, now, login):
    client = login(org.admin)
    response = client.post(reverse("web:capture_channel_new") + "?kind=wecom", {
        "name": "企业微信-客服", "token": "tok", "encoding_aes_key": aes_key_new(), "receive_id": "ww123", "enabled": "on",
    })
    channel = CaptureChannel.objects.get()
    assert response.status_code == 302 and channel.kind == CaptureChannel.Kind.WECOM
    page = client.get(reverse("web:capture_channel_edit", args=[channel.pk])).content.decode()
    assert f"http://testserver/hooks/wecom/{channel.url_key}/" in page
    bad = client.post(reverse("web:capture_channel_new") + "?kind=dingtalk", {"name": "d", "token": "t", "encoding_aes_key": "!" * 43, "receive_id": "k"})
    assert bad.status_code == 422 and CaptureChannel.objects.count() == 1


def test_reps_do_not_see_the_capture_pages(org: Org, login):
    client = login(org.rep)
    assert client.get(reverse("web:capture_home")).status_code == 403
    assert client.get(reverse("web:capture_form_new")).status_code == 403
    assert client.get(reverse("web:capture_channel_new")).status_code == 403
