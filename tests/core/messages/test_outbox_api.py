"""The outbox's JSON routes: the list (filters, masked addresses), one message with its
attempts, retry and cancel (versioned, 409), the site's wording of templates (checked
placeholders, used by the worker), a party's contact preferences and opt-outs, and the
caller's own notices."""

import datetime as dt

import pytest

from tests.core.messages.test_outbox import FAILURES, deliver, fresh, noon_at_harbour, outbox_plugin, party_at, queue

BASE = "/api/v1/sites/harbour/messages"
PASSWORD = "a-back-office-password-1"


@pytest.fixture
def outbox(make_demo_app):
    """The demo app with the lead's test plugin: a "pager" channel and outboxtest.hello."""
    FAILURES.clear()
    return make_demo_app(extra_plugins=[outbox_plugin()])


def back_office(server):
    """A harbour member who may read the outbox but not manage it."""
    from core.identity import services

    server.call(lambda: services.create_user("backoffice", PASSWORD, site="harbour", role="back_office"))
    return server.api_client("backoffice", PASSWORD)


def test_the_list_filters_and_masks_addresses_unless_the_caller_manages_messages(outbox):
    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    about = queue(outbox, site, party, about=("resident", "case", 7), at=noon)
    other = queue(outbox, site, party, at=noon)
    deliver(outbox, noon)
    supervisor = outbox.api_client("supervisor")
    reader = back_office(outbox)

    everything = supervisor.get(BASE).json()["items"]
    assert [item["id"] for item in everything][:2] == [other.id, about.id]  # newest first
    assert everything[0]["address"] == "0912345678" and everything[0]["status"] == "sent"
    masked = reader.get(BASE).json()["items"]
    assert masked[0]["address"] == "09******78"

    found = supervisor.get(BASE, params={"subject": "resident.case:7"}).json()["items"]
    assert [item["id"] for item in found] == [about.id]
    assert found[0]["subject"] == {"plugin": "resident", "kind": "case", "id": 7}
    assert supervisor.get(BASE, params={"status": "queued"}).json()["items"] == []
    assert len(supervisor.get(BASE, params={"channel": "pager", "template": "outboxtest.hello"}).json()["items"]) == 2
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    assert supervisor.get(BASE, params={"since": later}).json()["items"] == []

    page = supervisor.get(BASE, params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = supervisor.get(BASE, params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert rest["items"][0]["id"] == about.id

    bad = supervisor.get(BASE, params={"subject": "case-7"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "subject"
    bad = supervisor.get(BASE, params={"status": "lost"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


def test_one_message_shows_its_attempts_masked_for_a_reader(outbox):
    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    message = queue(outbox, site, party, at=noon)
    deliver(outbox, noon)
    detail = back_office(outbox).get(f"{BASE}/{message.id}").json()
    assert detail["address"] == "09******78" and detail["rendered_body"] == "Dear Mrs Lin, your case is closed."
    assert [(a["number"], a["outcome"]) for a in detail["attempt_log"]] == [(1, "sent")]
    assert outbox.api_client("supervisor").get(f"{BASE}/{message.id}").json()["address"] == "0912345678"
    assert outbox.api_client("supervisor").get("/api/v1/sites/lotus/messages/1").status_code == 404


def test_retry_and_cancel_are_versioned_and_refused_in_the_wrong_state(outbox):
    from core.audit.models import AuditEntry

    site, party = party_at(outbox)
    message = queue(outbox, site, party, at=noon_at_harbour(outbox))
    supervisor = outbox.api_client("supervisor")
    agent = outbox.api_client("agent")
    assert agent.post(f"{BASE}/{message.id}/cancel", json={"version": 1}).status_code == 403

    wrong = supervisor.post(f"{BASE}/{message.id}/retry", json={"version": 1})
    assert wrong.status_code == 409 and wrong.json()["current"]["status"] == "queued"
    stale = supervisor.post(f"{BASE}/{message.id}/cancel", json={"version": 5})
    assert stale.status_code == 409
    cancelled = supervisor.post(f"{BASE}/{message.id}/cancel", json={"version": 1})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["version"] == 2
    again = supervisor.post(f"{BASE}/{message.id}/cancel", json={"version": 2})
    assert again.status_code == 409
    assert supervisor.post(f"{BASE}/{message.id}/retry", json={"version": 1}).status_code == 409  # stale
    retried = supervisor.post(f"{BASE}/{message.id}/retry", json={"version": 2})
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert fresh(outbox, message).status == "queued"
    actions = outbox.call(lambda: AuditEntry.filter(object_type="core.message", object_id=str(message.id))
                          .order_by("id").values_list("action", flat=True))
    assert actions == ["message.cancel", "message.retry"]
    bad = supervisor.post(f"{BASE}/{message.id}/retry", json={"version": "x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "version"


def test_a_sites_wording_is_checked_saved_audited_used_by_the_worker_and_reset(outbox):
    from core.audit.models import AuditEntry

    site, party = party_at(outbox)
    supervisor = outbox.api_client("supervisor")
    path = f"{BASE}/templates/outboxtest.hello/pager/en"

    listed = {t["key"]: t for t in supervisor.get(f"{BASE}/templates").json()}
    hello = listed["outboxtest.hello"]
    assert hello["placeholders"] == ["name"] and hello["channels"] == ["pager", "in_app"]
    english = [w for w in hello["wordings"] if w["channel"] == "pager" and w["language"] == "en"][0]
    assert english["body"] == "Dear {name}, your case is closed." and english["custom"] is False

    unknown = supervisor.put(path, json={"subject": "Hi", "body": "Dear {name}, room {room} is ready."})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body"
    assert "{room}" in unknown.json()["errors"][0]["message"]
    in_subject = supervisor.put(path, json={"subject": "Hi {nobody}", "body": "Dear {name}"})
    assert in_subject.status_code == 422 and in_subject.json()["errors"][0]["field"] == "subject"
    assert supervisor.put(f"{BASE}/templates/no.such/pager/en", json={"body": "x"}).status_code == 404
    bad_language = supervisor.put(f"{BASE}/templates/outboxtest.hello/pager/fr", json={"body": "x"})
    assert bad_language.status_code == 422 and bad_language.json()["errors"][0]["field"] == "language"
    bad_channel = supervisor.put(f"{BASE}/templates/outboxtest.hello/email/en", json={"body": "x"})
    assert bad_channel.status_code == 422 and bad_channel.json()["errors"][0]["field"] == "channel"
    assert outbox.api_client("agent").put(path, json={"body": "Hi {name}"}).status_code == 403

    saved = supervisor.put(path, json={"subject": "Closed", "body": "Hello {name}: all done."})
    assert saved.status_code == 200 and saved.json()["custom"] is True and saved.json()["version"] == 1
    assert supervisor.put(path, json={"body": "Hello {name}"}).status_code == 409  # no version: someone saved
    assert supervisor.put(path, json={"body": "Hello {name}", "version": 9}).status_code == 409
    resaved = supervisor.put(path, json={"subject": "Closed", "body": "Hello {name}: all done!", "version": 1})
    assert resaved.json()["version"] == 2

    noon = noon_at_harbour(outbox)
    message = queue(outbox, site, party, language="en", at=noon)
    deliver(outbox, noon)
    sent = fresh(outbox, message)
    assert sent.rendered_subject == "Closed" and sent.rendered_body == "Hello Mrs Lin: all done!"

    reset = supervisor.delete(path)
    assert reset.status_code == 200 and reset.json()["custom"] is False
    assert reset.json()["body"] == "Dear {name}, your case is closed."
    actions = outbox.call(lambda: AuditEntry.filter(object_type="core.message_template").order_by("id")
                          .values_list("action", flat=True))
    assert actions == ["message_template.save", "message_template.save", "message_template.reset"]


def test_an_opt_out_through_the_api_suppresses_the_next_message(outbox):
    from core.audit.models import AuditEntry

    site, party = party_at(outbox)
    path = f"/api/v1/sites/harbour/parties/{party.id}/contact"
    agent = outbox.api_client("agent")  # every desk records an opt-out
    contact = agent.get(path).json()
    assert contact["opt_outs"] == {} and "pager" in contact["channels"] and "in_app" not in contact["channels"]

    changed = agent.put(path, json={"preferred_language": "en", "preferred_channel": "pager",
                                    "opt_outs": {"pager": {"opted_out": True, "reason": "asked by phone"}},
                                    "version": contact["version"]})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["opt_outs"] == {"pager": {"opted_out": True, "reason": "asked by phone"}}
    assert body["preferred_language"] == "en" and body["preferred_channel"] == "pager"
    assert queue(outbox, site, party).status == "suppressed"

    stale = agent.put(path, json={"preferred_language": "zh_Hans", "version": contact["version"]})
    assert stale.status_code == 409
    bad = agent.put(path, json={"preferred_language": "fr"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "preferred_language"
    bad = agent.put(path, json={"opt_outs": {"pigeon": {"opted_out": True}}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "opt_outs.pigeon"

    back = agent.put(path, json={"opt_outs": {"pager": {"opted_out": False}}})
    assert back.json()["opt_outs"]["pager"]["opted_out"] is False
    assert queue(outbox, site, party).status == "queued"
    actions = outbox.call(lambda: AuditEntry.filter(object_type="core.party", object_id=str(party.id))
                          .filter(action__in=["party.opt_out", "party.opt_in", "party.preferences"])
                          .order_by("id").values_list("action", flat=True))
    assert actions == ["party.preferences", "party.opt_out", "party.opt_in"]
    assert outbox.api_client("caller").get(path.replace("harbour", "sunrise")).status_code == 404


def notices_for(server, *usernames, text="Room 12 needs you"):
    from core.entities.models import Site
    from core.identity.models import User
    from core.messages import services

    async def send():
        site = await Site.get(code="harbour")
        users = [await User.get(username=name) for name in usernames]
        return await services.notify(site, users, "core.text", {"subject": text, "text": text})
    messages = server.call(send)
    deliver(server)
    return messages


def test_notifications_are_the_callers_own_and_only_those_are_marked_read(outbox):
    supervisor_notice, agent_notice = notices_for(outbox, "supervisor", "agent")
    supervisor = outbox.api_client("supervisor")
    agent = outbox.api_client("agent")

    mine = agent.get("/api/v1/me/notifications").json()
    assert [item["id"] for item in mine["items"]] == [agent_notice.id] and mine["unread"] == 1
    assert mine["items"][0]["subject"] == "Room 12 needs you"
    assert agent.get("/api/v1/me/notifications", params={"site": "harbour", "unread": 1}).json()["unread"] == 1
    assert agent.get("/api/v1/me/notifications", params={"site": "lotus"}).status_code == 404

    # Another person's notice is not touched.
    other = agent.post("/api/v1/me/notifications/read", json={"ids": [supervisor_notice.id]})
    assert other.status_code == 200 and other.json() == {"marked": 0, "unread": 1}
    assert supervisor.get("/api/v1/me/notifications").json()["unread"] == 1
    assert agent.post("/api/v1/me/notifications/read", json={}).status_code == 422
    assert agent.post("/api/v1/me/notifications/read", json={"all": True}).json() == {"marked": 1, "unread": 0}
    assert agent.get("/api/v1/me/notifications", params={"unread": 1}).json()["items"] == []
    assert supervisor.get("/api/v1/me/notifications").json()["unread"] == 1
