"""The SMS gateway's delivery reports: POST /api/v1/messages/sms/reports, signed with
sms_report_secret (HMAC-SHA256 over the timestamp and the raw body)."""

from __future__ import annotations

import json
import logging

import pytest

from core import signing

SECRET = "report-secret-for-tests"
URL = "/api/v1/messages/sms/reports"


@pytest.fixture
def gateway_app(make_demo_app):
    return make_demo_app(sms_report_secret=SECRET)


def sms(server, status="sent", provider_id="gw-501", **fields):
    from core.entities.models import Site
    from core.messages.models import Message

    async def make():
        site = await Site.get(code="harbour")
        return await Message.create(site=site, channel="sms", template="core.text", language="zh_Hant",
                                    address="+886912345678", status=status, provider_id=provider_id, **fields)
    return server.call(make)


def fresh(server, message):
    from core.messages.models import Message

    return server.call(lambda: Message.get(id=message.id))


def post(server, payload, secret=SECRET, timestamp=None, headers=None, client=None):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signed = signing.signed_headers(secret, raw, timestamp) if secret is not None else {}
    return (client or server.client()).post(URL, content=raw, headers={
        "Content-Type": "application/json", **signed, **(headers or {})})


def test_a_signed_report_marks_the_sms_delivered_once(gateway_app):
    message = sms(gateway_app)
    response = post(gateway_app, {"id": "gw-501", "status": "delivered", "at": "2026-11-30T02:03:04Z"})
    assert response.status_code == 200, response.text
    assert response.json() == {"message_id": message.id, "status": "delivered",
                               "delivered_at": "2026-11-30T02:03:04Z"}
    stored = fresh(gateway_app, message)
    assert (stored.status, stored.version) == ("delivered", 2)
    # The same report again, or a late "failed", changes nothing.
    assert post(gateway_app, {"id": "gw-501", "status": "delivered"}).json()["status"] == "delivered"
    assert post(gateway_app, {"id": "gw-501", "status": "failed"}).json()["status"] == "delivered"
    assert fresh(gateway_app, message).version == 2


def test_a_report_by_our_reference_before_the_worker_recorded_sent(gateway_app):
    message = sms(gateway_app, status="sending", provider_id="")
    response = post(gateway_app, {"reference": str(message.id), "id": "unknown-to-us", "status": "failed",
                                  "reason": "absent subscriber"})
    assert response.status_code == 200
    stored = fresh(gateway_app, message)
    assert (stored.status, stored.reason) == ("failed", "gateway reported: absent subscriber")


def test_a_report_for_a_message_not_handed_to_the_gateway_changes_nothing(gateway_app):
    queued = sms(gateway_app, status="queued", provider_id="")
    assert post(gateway_app, {"reference": str(queued.id), "status": "delivered"}).json()["status"] == "queued"
    assert fresh(gateway_app, queued).version == 1


def test_unknown_references_are_accepted_and_logged(gateway_app, caplog):
    caplog.set_level(logging.INFO, logger="frontdesk.messages.sms")
    sms(gateway_app)
    e_mail = sms(gateway_app, provider_id="", status="sent")
    from core.messages.models import Message

    gateway_app.call(lambda: Message.filter(id=e_mail.id).update(channel="email"))
    for payload in ({"id": "nobody", "status": "delivered"}, {"reference": str(e_mail.id), "status": "delivered"},
                    {"reference": "99999999999999999999999", "status": "failed"}):
        response = post(gateway_app, payload)
        assert response.status_code == 202, payload
        assert response.json() == {"message_id": None, "status": "unknown", "delivered_at": None}
    assert fresh(gateway_app, e_mail).status == "sent"
    assert "unknown SMS" in caplog.text


@pytest.mark.parametrize("how", ["unsigned", "wrong secret", "stale", "future", "tampered", "garbled"])
def test_bad_signatures_are_401(gateway_app, how):
    message = sms(gateway_app)
    payload = {"id": "gw-501", "status": "delivered"}
    now = int(signing.utcnow().timestamp())
    if how == "unsigned":
        response = post(gateway_app, payload, secret=None)
    elif how == "wrong secret":
        response = post(gateway_app, payload, secret="guessed")
    elif how == "stale":
        response = post(gateway_app, payload, timestamp=now - 301)
    elif how == "future":
        response = post(gateway_app, payload, timestamp=now + 301)
    elif how == "tampered":
        raw = json.dumps(payload).encode()
        headers = signing.signed_headers(SECRET, raw.replace(b"delivered", b"failed"))
        response = gateway_app.client().post(URL, content=raw, headers={"Content-Type": "application/json",
                                                                         **headers})
    else:
        response = post(gateway_app, payload, headers={signing.TIMESTAMP_HEADER: "12ab",
                                                       signing.SIGNATURE_HEADER: "sha256=zz"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fresh(gateway_app, message).status == "sent"


def test_a_report_within_the_skew_is_accepted(gateway_app):
    sms(gateway_app)
    now = int(signing.utcnow().timestamp())
    assert post(gateway_app, {"id": "gw-501", "status": "delivered"}, timestamp=now - 290).status_code == 200


def test_without_a_secret_every_report_is_401(make_demo_app):
    server = make_demo_app(sms_report_secret="")
    message = sms(server)
    assert post(server, {"id": "gw-501", "status": "delivered"}, secret="").status_code == 401
    assert fresh(server, message).status == "sent"


@pytest.mark.parametrize("payload, field", [
    ({"id": "gw-501", "status": "read"}, "status"),
    ({"id": "gw-501"}, "status"),
    ({"status": "delivered"}, "reference"),
    ({"id": "gw-501", "status": "delivered", "at": "yesterday"}, "at"),
    ({"id": "gw-501", "status": "delivered", "at": "2026-11-30T02:03:04"}, "at"),
    ({"id": "x" * 101, "status": "delivered"}, "id"),
])
def test_a_bad_body_is_422_naming_the_field(gateway_app, payload, field):
    message = sms(gateway_app)
    response = post(gateway_app, payload)
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}
    assert fresh(gateway_app, message).status == "sent"


def test_a_body_that_is_not_json_is_400(gateway_app):
    assert post(gateway_app, b"id=gw-501&status=delivered").status_code == 400


def test_a_browser_session_still_needs_its_csrf_token(gateway_app):
    sms(gateway_app)
    browser = gateway_app.sign_in("admin")
    assert post(gateway_app, {"id": "gw-501", "status": "delivered"}, client=browser).status_code == 403


def test_the_signature_helper_matches_the_documented_recipe():
    import hashlib
    import hmac

    body = b'{"id": "gw-1", "status": "delivered"}'
    expected = hmac.new(b"k", b"1764558000." + body, hashlib.sha256).hexdigest()
    assert signing.signature("k", 1764558000, body) == f"sha256={expected}"
    headers = {signing.TIMESTAMP_HEADER: "1764558000", signing.SIGNATURE_HEADER: f"sha256={expected}"}
    assert signing.is_valid("k", headers, body, now=1764558000 + 300)
    assert not signing.is_valid("k", headers, body, now=1764558000 + 301)
    assert not signing.is_valid("", headers, body, now=1764558000)


def test_the_record_page_hears_of_the_delivery_live(gateway_app):
    message = sms(gateway_app, subject_plugin="resident", subject_kind="case", subject_id=12)
    bus = gateway_app.app.state.events
    listener = bus.subscribe(message.site_id, set())
    try:
        assert post(gateway_app, {"id": "gw-501", "status": "delivered"}).status_code == 200
        event = listener.queue.get_nowait()
        assert (event.name, event.data) == ("message.status", {"id": message.id, "status": "delivered",
                                                               "channel": "sms", "subject": "resident.case:12"})
        post(gateway_app, {"id": "gw-501", "status": "delivered"})  # a repeat changes nothing, says nothing
        assert listener.queue.empty()
    finally:
        bus.unsubscribe(listener)
