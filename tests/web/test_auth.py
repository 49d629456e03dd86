"""Login, invitation and reset links, and the language switch."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from xiaoguan.org.models import Role, User

pytestmark = pytest.mark.django_db

LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):  # type: ignore[no-untyped-def]
    settings.MAILERS = LOCMEM
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_pages_need_a_login(db):  # type: ignore[no-untyped-def]
    response = Client().get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")


def test_login_with_a_wrong_password_says_so(org):  # type: ignore[no-untyped-def]
    response = Client().post("/auth/login/", {"username": org.rep.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert "邮箱或密码不正确" in response.content.decode()


def test_login_lands_on_the_workbench(org):  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post("/auth/login/", {"username": org.rep.email.upper(), "password": "pass-word-123"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "工作台" in client.get("/").content.decode()


def test_invite_mails_a_link_that_sets_the_password(org, login, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    # given an admin inviting a new rep
    admin = login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/manage/invite/", {"email": "new.rep@example.cn", "name": "新同事", "role": Role.REP, "team": org.east.pk})
    # then a mail with a set-password link goes out
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.rep@example.cn"]
    path = re.search(r"https?://[^/]+(/auth/set-password/\S+/\S+/)", mail.outbox[0].body).group(1)
    invited = User.objects.get(email="new.rep@example.cn")
    assert not invited.has_usable_password()
    # when the new colleague opens the link, the token moves into the session and the address loses it
    visitor = Client()
    opened = visitor.get(path)
    assert opened.status_code == 302 and opened["Location"].endswith("/set/")
    page = visitor.get(opened["Location"])
    assert page.status_code == 200 and "新同事" in page.content.decode()
    # when they set a password
    done = visitor.post(opened["Location"], {"password": "Quarter-Target-88", "password_again": "Quarter-Target-88"})
    # then they are logged in on the workbench and the password works
    assert done.status_code == 302 and done["Location"] == "/"
    invited.refresh_from_db()
    assert invited.check_password("Quarter-Target-88")
    # and the link cannot be used again
    assert Client().get(path).status_code == 400


def test_a_weak_or_mismatched_password_is_explained(org):  # type: ignore[no-untyped-def]
    from xiaoguan.org.services import password_link

    path = re.sub(r"^https?://[^/]+", "", password_link(user=org.rep))
    client = Client()
    form_url = client.get(path)["Location"]
    weak = client.post(form_url, {"password": "12345678", "password_again": "12345678"})
    assert weak.status_code == 422
    assert "密码" in weak.content.decode()
    mismatch = client.post(form_url, {"password": "Quarter-Target-88", "password_again": "Quarter-Target-89"})
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in mismatch.content.decode()
    org.rep.refresh_from_db()
    assert org.rep.check_password("pass-word-123")


def test_reset_request_answers_the_same_for_known_and_unknown_addresses(org, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post("/auth/reset/", {"email": org.rep.email})
        unknown = Client().post("/auth/reset/", {"email": "nobody@example.cn"})
    # then both pages read the same (only the typed address and the CSRF token differ), and one mail went out
    assert known.status_code == unknown.status_code == 200
    assert _without_noise(known, org.rep.email) == _without_noise(unknown, "nobody@example.cn")
    assert "请查收邮件" in known.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [org.rep.email]


def _without_noise(response, email: str) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"', "CSRF", html)


def test_a_forged_link_is_refused(org):  # type: ignore[no-untyped-def]
    response = Client().get("/auth/set-password/MQ/abc-def/")
    assert response.status_code == 400 and "链接已失效" in response.content.decode()


def test_language_switch_yields_english(org, login):  # type: ignore[no-untyped-def]
    # given a rep on the Chinese workbench
    client = login(org.rep)
    assert "工作台" in client.get("/").content.decode()
    # when they switch to English
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    # then the pages are in English
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "Workbench" in html and "工作台" not in html
    assert "Leads" in client.get("/leads/").content.decode()
