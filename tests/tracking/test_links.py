"""Tracked links: one token per recipient; opens, clicks and downloads become touch events; forgeries, expiry, replays,
previewers and scanners do not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from xiaoguan.engagement.models import TouchEvent
from xiaoguan.tracking.models import TrackedLink, TrackingHit
from xiaoguan.tracking.selectors import tracked_link_token
from xiaoguan.tracking.serve import PIXEL
from xiaoguan.tracking.services import tracked_link_create, tracked_link_revoke
from xiaoguan.tracking.tokens import token_for, token_link_id
from xiaoguan.tracking.wsgi import tracking_fast_path

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49 wxwork/4.1.22"


def send(deal, clock, **kwargs: Any) -> TrackedLink:  # type: ignore[no-untyped-def]
    now = clock.set("2025-03-05 10:00")
    values: dict[str, Any] = {"kind": TrackedLink.Kind.DOCUMENT, "contact": deal.contact}
    values.update(kwargs)
    if values["kind"] == TrackedLink.Kind.DOCUMENT and "document" not in values:
        values["document"] = deal.quote()
    return tracked_link_create(opportunity=deal.opportunity, by=deal.rep, now=now, **values)


def behaviours(link: TrackedLink, kind: str) -> int:
    return TouchEvent.objects.filter(tracked_item_key=link.external_id, kind=kind).count()


def test_sending_a_quote_records_a_sent_event_tied_to_the_deal(deal, clock):
    link = send(deal, clock)
    sent = TouchEvent.objects.get(tracked_item_key=link.external_id)
    assert sent.kind == TouchEvent.Kind.SENT
    assert (sent.opportunity, sent.account, sent.contact) == (deal.opportunity, deal.account, deal.contact)
    assert sent.document == "报价单-v2.pdf"


def test_each_recipient_gets_a_token_of_their_own(deal, clock):
    first = send(deal, clock)
    second = send(deal, clock, contact=None, recipient="采购部 李女士")
    assert tracked_link_token(link=first) != tracked_link_token(link=second)
    assert token_link_id(tracked_link_token(link=second)) == second.pk


def test_a_click_serves_the_quote_and_counts_once(deal, clock, client):
    link = send(deal, clock)
    clock.set("2025-03-05 11:00")
    response = client.get(f"/t/{tracked_link_token(link=link)}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert behaviours(link, TouchEvent.Kind.CLICKED) == 1


def test_download_is_an_attachment_with_a_safe_file_name(deal, clock, client):
    link = send(deal, clock, document=deal.quote(name='报价"单;<script>.pdf'))
    clock.set("2025-03-05 11:00")
    response = client.get(f"/t/{tracked_link_token(link=link)}/download", HTTP_USER_AGENT=BROWSER)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "<script>" not in disposition and '"单' not in disposition
    assert "filename*=UTF-8''" in disposition
    assert behaviours(link, TouchEvent.Kind.DOWNLOADED) == 1


def test_the_pixel_is_a_gif_and_counts_an_open(deal, clock, client):
    link = send(deal, clock)
    clock.set("2025-03-05 11:00")
    response = client.get(f"/t/{tracked_link_token(link=link)}.gif", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content == PIXEL and response.content.startswith(b"GIF89a")
    opened = TouchEvent.objects.get(tracked_item_key=link.external_id, kind=TouchEvent.Kind.OPENED)
    assert opened.contact == deal.contact and opened.opportunity == deal.opportunity


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character of the MAC changed
    lambda t: token_for(999_999)[:-3] + t[-3:],  # another id with a borrowed tail
    lambda t: "1" + t[1:] if t[0] != "1" else "2" + t[1:],  # the id changed, the MAC kept
    lambda t: t[:-5],  # truncated
])
def test_a_forged_token_is_404_and_writes_nothing(deal, clock, client, mangle):
    link = send(deal, clock)
    before = (TouchEvent.objects.count(), TrackingHit.objects.count())
    clock.set("2025-03-05 11:00")
    forged = mangle(tracked_link_token(link=link))
    for suffix in ("", ".gif", "/download"):
        assert client.get(f"/t/{forged}{suffix}", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert (TouchEvent.objects.count(), TrackingHit.objects.count()) == before


def test_an_expired_link_is_404_and_writes_nothing(deal, clock, client):
    link = send(deal, clock, expires_days=7)
    token = tracked_link_token(link=link)
    clock.set("2025-03-12 09:59")
    assert client.get(f"/t/{token}.gif", HTTP_USER_AGENT=BROWSER).status_code == 200
    clock.set("2025-03-12 10:00")
    assert client.get(f"/t/{token}.gif", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert client.get(f"/t/{token}", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert behaviours(link, TouchEvent.Kind.OPENED) == 1 and behaviours(link, TouchEvent.Kind.CLICKED) == 0


def test_a_revoked_link_is_404(deal, clock, client):
    link = send(deal, clock)
    tracked_link_revoke(link=link, by=deal.rep, now=clock.set("2025-03-05 12:00"))
    assert client.get(f"/t/{tracked_link_token(link=link)}", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert behaviours(link, TouchEvent.Kind.CLICKED) == 0


def django_stub(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [])
    return [b"django"]


def _wsgi_get(app, path: str, *, agent: str = BROWSER, method: str = "GET", ip: str = "116.228.1.10") -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    status: list[str] = []
    body = b"".join(app({"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_USER_AGENT": agent, "REMOTE_ADDR": ip}, lambda s, h: status.append(s)))
    return status[0], body


def test_a_token_replayed_a_thousand_times_counts_once_per_window(deal, clock):
    link = send(deal, clock)
    app = tracking_fast_path(django_stub)
    path = f"/t/{tracked_link_token(link=link)}.gif"
    clock.set("2025-03-05 11:00")
    for _ in range(1000):
        assert _wsgi_get(app, path)[0] == "200 OK"
    assert behaviours(link, TouchEvent.Kind.OPENED) == 1
    assert TrackingHit.objects.filter(link=link, flag=TrackingHit.Flag.REPLAY).count() == 999
    # the next window: the reader came back, that counts
    clock.set("2025-03-05 11:31")
    _wsgi_get(app, path)
    assert behaviours(link, TouchEvent.Kind.OPENED) == 2


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (compatible; DingTalkBot-LinkService/1.0)",
    "WeChatShare/1.0",
    "Mozilla/5.0 (Windows NT 10.0) Barracuda Sentinel (EE)",
    "python-requests/2.31.0",
    "facebookexternalhit/1.1",
    "",
])
def test_previewers_and_scanners_are_logged_not_counted(deal, clock, client, agent):
    link = send(deal, clock)
    clock.set("2025-03-05 11:00")
    assert client.get(f"/t/{tracked_link_token(link=link)}.gif", HTTP_USER_AGENT=agent).status_code == 200
    assert behaviours(link, TouchEvent.Kind.OPENED) == 0
    hit = TrackingHit.objects.get(link=link)
    assert hit.flag in (TrackingHit.Flag.BOT, TrackingHit.Flag.SCANNER)
    # whatever fetched it, the message did arrive
    assert behaviours(link, TouchEvent.Kind.DELIVERED) == 1


def test_a_person_in_the_wecom_browser_counts(deal, clock, client):
    link = send(deal, clock)
    clock.set("2025-03-05 11:00")
    client.get(f"/t/{tracked_link_token(link=link)}.gif", HTTP_USER_AGENT=BROWSER)
    assert behaviours(link, TouchEvent.Kind.OPENED) == 1


def test_head_probes_scanner_networks_and_instant_fetches_are_not_opens(deal, clock):
    link = send(deal, clock)
    app = tracking_fast_path(django_stub)
    path = f"/t/{tracked_link_token(link=link)}.gif"
    clock.set("2025-03-05 10:00:03")  # three seconds after sending: the chat app's preview
    _wsgi_get(app, path)
    clock.set("2025-03-05 11:00")
    _wsgi_get(app, path, method="HEAD")
    _wsgi_get(app, path, ip="40.107.22.15")  # Exchange Online Protection
    assert behaviours(link, TouchEvent.Kind.OPENED) == 0
    assert sorted(TrackingHit.objects.filter(link=link).values_list("flag", flat=True)) == ["head", "scanner", "too_soon"]


def test_the_fast_path_answers_like_the_django_view(deal, clock, client):
    link = send(deal, clock)
    app = tracking_fast_path(django_stub)
    clock.set("2025-03-05 11:00")
    token = tracked_link_token(link=link)
    status, body = _wsgi_get(app, f"/t/{token}")
    assert status == "200 OK" and body == client.get(f"/t/{token}", HTTP_USER_AGENT=BROWSER).content
    assert _wsgi_get(app, f"/t/{token[:-1]}x")[0] == "404 Not Found"
    assert _wsgi_get(app, "/leads/")[1] == b"django"  # everything else goes to Django


def test_a_url_link_redirects_and_counts_a_click(deal, clock, client):
    link = send(deal, clock, kind=TrackedLink.Kind.URL, url="https://example.cn/case-study", label="案例")
    clock.set("2025-03-05 11:00")
    response = client.get(f"/t/{tracked_link_token(link=link)}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302 and response["Location"] == "https://example.cn/case-study"
    assert behaviours(link, TouchEvent.Kind.CLICKED) == 1
    assert client.get(f"/t/{tracked_link_token(link=link)}/download", HTTP_USER_AGENT=BROWSER).status_code == 404


def test_a_deleted_document_leaves_a_dead_link(deal, clock, client):
    link = send(deal, clock)
    assert link.document is not None
    link.document.delete()
    clock.set("2025-03-05 11:00")
    assert client.get(f"/t/{tracked_link_token(link=link)}", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert behaviours(link, TouchEvent.Kind.CLICKED) == 0


def test_links_expire_only_within_a_year(deal, clock):
    from xiaoguan.core.errors import ValidationFailedError

    with pytest.raises(ValidationFailedError):
        send(deal, clock, expires_days=400)
    assert not TrackedLink.objects.exists()
    assert timedelta(days=1)  # the lower bound is the form's
