"""Messages at the resident desk: a case's reply sent to the resident, revisit campaigns
that message households, arrears reminders (messages or letters) once a month.

Delivery goes through the real worker to a real SMTP server (aiosmtpd) and a real local
HTTP SMS gateway; the SMS delivery report is a real signed POST."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from zoneinfo import ZoneInfo

import pytest

from core import signing
from tests.core.messages.servers import HttpReceiver, SmtpServer
from tests.plugins.resident.conftest import BASE

PAGES = "/sites/harbour/resident"
SECRET = "resident-report-secret"


# --- helpers ---------------------------------------------------------------------------------


def party_named(server, name):
    from core.entities.models import Party

    return server.call(lambda: Party.get(site__code="harbour", name=name))


def messages_about(server, kind, record_id):
    from core.messages.models import Message

    return server.call(lambda: Message.filter(subject_plugin="resident", subject_kind=kind, subject_id=record_id)
                       .order_by("id"))


def noon_tomorrow(server):
    """A moment outside the default quiet hours at harbour."""
    from core.entities.models import Site

    zone = ZoneInfo(server.call(lambda: Site.get(code="harbour")).timezone)
    return dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(12), tzinfo=zone) \
        .astimezone(dt.timezone.utc)


def deliver(server):
    from core.messages.worker import deliver_due

    moment = noon_tomorrow(server)
    return server.call(lambda: deliver_due(server.app, moment))


def case_for(client, units, party_id, **fields):
    body = {"kind": "repair", "channel": "phone", "unit_id": units["A-0101"], "title": "Water heater broken",
            "party_id": party_id, **fields}
    response = client.post(f"{BASE}/cases", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def gateways():
    with SmtpServer() as smtp, HttpReceiver() as sms:
        yield smtp, sms


@pytest.fixture
def wired(make_demo_app, gateways):
    """The demo with its e-mail and SMS channels pointed at the local servers."""
    smtp, sms = gateways
    server = make_demo_app(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none",
                           sms_gateway_url=f"{sms.url}/send", sms_report_secret=SECRET)
    server.smtp, server.sms = smtp, sms
    return server


# --- a case's reply, sent to the resident ------------------------------------------------------


def test_a_reply_by_sms_and_email_is_queued_with_it_delivered_and_shown_on_the_case(wired, units):
    agent = wired.api_client("agent")
    resident = party_named(wired, "張家豪")  # a phone and an e-mail address on record
    case = case_for(agent, units, resident.id)
    replied = agent.post(f"{BASE}/cases/{case['id']}/reply",
                         json={"message": "師傅明早九點到府更換熱水器。", "send_by": ["sms", "email"]})
    assert replied.status_code == 200, replied.text
    sent = replied.json()["messages"]
    assert sorted((m["channel"], m["status"]) for m in sent) == [("email", "queued"), ("sms", "queued")]
    assert replied.json()["reply"] == "師傅明早九點到府更換熱水器。"
    stored = messages_about(wired, "case", case["id"])
    assert len(stored) == 2 and {m.template for m in stored} == {"resident.case_reply"}
    assert {m.party_id for m in stored} == {resident.id}

    assert deliver(wired) == 2
    [mail] = wired.smtp.received
    assert mail.recipients == ["resident5@harbour.example"]
    parsed = email.message_from_bytes(mail.data, policy=email.policy.default)
    assert str(case["id"]) in parsed["Subject"] and "Water heater broken" in parsed["Subject"]
    assert "師傅明早九點到府更換熱水器。" in parsed.get_content()
    [text] = wired.sms.requests
    assert text.json()["to"] == resident.phones[0] and "師傅明早九點到府更換熱水器" in text.json()["text"]

    raw = json.dumps({"id": "gw-1", "status": "delivered"}).encode()
    report = wired.client().post("/api/v1/messages/sms/reports", content=raw, headers={
        "Content-Type": "application/json", **signing.signed_headers(SECRET, raw)})
    assert report.status_code == 200, report.text
    states = {m.channel: m.status for m in messages_about(wired, "case", case["id"])}
    assert states == {"sms": "delivered", "email": "sent"}  # SMTP has no delivery report: "sent" is its end

    page = wired.sign_in("agent").get(f"{PAGES}/cases/{case['id']}")
    assert page.status_code == 200
    history = page.text[page.text.index('data-history-subject="resident.case:'):]
    assert "Messages to the resident" in history
    assert re.search(r"<td>SMS</td>\s*<td>[^<]*</td>\s*<td><span[^>]*>Delivered</span>", history), history[:800]
    assert re.search(r"<td>E-mail</td>\s*<td>[^<]*</td>\s*<td><span[^>]*>Sent</span>", history)
    api = agent.get(f"{BASE}/cases/{case['id']}").json()
    assert [(m["channel"], m["status"]) for m in api["messages"]] == [("email", "sent"), ("sms", "delivered")]


def test_the_page_form_and_the_api_reply_through_one_service(demo_server, units):
    resident = party_named(demo_server, "張家豪")
    agent = demo_server.api_client("agent")
    by_api = case_for(agent, units, resident.id)
    by_page = case_for(agent, units, resident.id, title="Door bell broken")
    agent.post(f"{BASE}/cases/{by_api['id']}/reply", json={"message": "Tomorrow at nine.", "send_by": ["sms", "email"]})
    browser = demo_server.sign_in("agent")
    posted = browser.form_post(f"{PAGES}/cases/{by_page['id']}/reply", {
        "message": "Tomorrow at nine.", "send_by": ["sms", "email"], "phone": "", "email": ""})
    assert posted.status_code == 303, posted.text
    shown = [[(m.channel, m.status, m.address, m.context["reply"]) for m in messages_about(demo_server, "case", c["id"])]
             for c in (by_api, by_page)]
    assert sorted(shown[0]) == sorted(shown[1]) and len(shown[0]) == 2


def test_a_typed_address_is_used_and_checked(demo_server, units):
    resident = party_named(demo_server, "王志明")
    agent = demo_server.api_client("agent")
    case = case_for(agent, units, resident.id)
    url = f"{BASE}/cases/{case['id']}/reply"
    bad_phone = agent.post(url, json={"message": "OK", "send_by": ["email", "sms"], "phone": "12ab"})
    assert bad_phone.status_code == 422 and bad_phone.json()["errors"][0]["field"] == "phone"
    bad_mail = agent.post(url, json={"message": "OK", "send_by": ["email"], "email": "not-an-address"})
    assert bad_mail.status_code == 422 and bad_mail.json()["errors"][0]["field"] == "email"
    # A refused reply records nothing and queues nothing (the e-mail above came first in it).
    assert messages_about(demo_server, "case", case["id"]) == []
    assert agent.get(f"{BASE}/cases/{case['id']}").json()["reply"] == ""
    good = agent.post(url, json={"message": "OK", "send_by": ["sms"], "phone": "0933-111-222"})
    assert good.status_code == 200, good.text
    [message] = messages_about(demo_server, "case", case["id"])
    assert (message.channel, message.address, message.party_id) == ("sms", "0933111222", resident.id)


def test_no_resident_or_no_address_is_a_422_naming_the_field_on_the_page_too(demo_server, units):
    agent = demo_server.api_client("agent")
    anonymous = case_for(agent, units, None)
    refused = agent.post(f"{BASE}/cases/{anonymous['id']}/reply", json={"message": "OK", "send_by": ["sms"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "phone"
    without_mail = case_for(agent, units, party_named(demo_server, "林美玲").id)  # a phone, no e-mail
    refused = agent.post(f"{BASE}/cases/{without_mail['id']}/reply", json={"message": "OK", "send_by": ["email"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "email"
    bad = agent.post(f"{BASE}/cases/{without_mail['id']}/reply", json={"message": "OK", "send_by": ["fax"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("send_by")

    browser = demo_server.sign_in("agent")
    page = browser.form_post(f"{PAGES}/cases/{without_mail['id']}/reply", {
        "message": "Typed reply kept", "send_by": "email", "email": "lin@@x"})
    assert page.status_code == 422
    assert 'id="email-error"' in page.text and "Typed reply kept" in page.text
    assert messages_about(demo_server, "case", without_mail["id"]) == []


def test_an_opted_out_channel_is_recorded_not_sent_and_the_page_says_so(demo_server, units):
    resident = party_named(demo_server, "陳大文")  # opted out of SMS in the demo
    agent = demo_server.api_client("agent")
    case = case_for(agent, units, resident.id)
    browser = demo_server.sign_in("agent")
    posted = browser.form_post(f"{PAGES}/cases/{case['id']}/reply", {
        "message": "We fixed it.", "send_by": ["sms", "email"]})
    assert posted.status_code == 303 and "not_sent=sms" in posted.headers["location"]
    states = {m.channel: m.status for m in messages_about(demo_server, "case", case["id"])}
    assert states == {"sms": "suppressed", "email": "queued"}
    page = browser.get(posted.headers["location"])
    assert "Not sent by SMS: the resident opted out." in page.text
    assert "Not sent (opted out)" in page.text


# --- revisit campaigns ---------------------------------------------------------------------------


def campaign(client, units, codes, mode, **fields):
    response = client.post(f"{BASE}/campaigns", json={
        "name": "Winter check", "rule": {"kind": "manual", "unit_ids": [units[c] for c in codes]},
        "agent_ids": [client.user_ids["agent"]], "message_mode": mode, **fields})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def manager(demo_server, user_ids):
    client = demo_server.api_client("manager")
    client.user_ids = user_ids
    return client


def revisits_of(server, campaign_id):
    from plugins.resident.models import Revisit

    return server.call(lambda: Revisit.filter(campaign_id=campaign_id).order_by("id"))


def test_a_campaign_messages_instead_of_calling_and_keeps_the_kpis_to_conversations(keep_demo, manager, units,
                                                                                     demo_server):
    # A-0101 and A-0103 have households with a party; A-0102 has none: it stays a call.
    made = campaign(manager, units, ["A-0101", "A-0103", "A-0102"], "instead_of_call")
    assert made["message_mode"] == "instead_of_call"
    distributed = manager.post(f"{BASE}/campaigns/{made['id']}/distribute")
    assert distributed.status_code == 200, distributed.text
    assert distributed.json()["messages"] == {"queued": 2, "suppressed": 0, "failed": 1, "already_sent": 0,
                                              "messaged": 2}
    revisits = revisits_of(demo_server, made["id"])
    assert sorted(r.status for r in revisits) == ["messaged", "messaged", "pending"]
    for revisit in revisits:
        [message] = messages_about(demo_server, "revisit", revisit.id)
        assert message.dedupe_key == f"revisit:{revisit.id}"
        assert message.status == ("failed" if revisit.status == "pending" else "queued")
    # The agent's call list keeps the one no message reached.
    agent = demo_server.api_client("agent")
    listed = agent.get(f"{BASE}/revisits", params={"campaign_id": made["id"], "status": "pending"}).json()["items"]
    assert [r["unit_id"] for r in listed] == [units["A-0102"]]
    counts = manager.get(f"{BASE}/revisits/counts", params={"campaign_id": made["id"]}).json()
    assert counts["messaged"] == 2 and counts["done"] == 0
    report = manager.get(f"{BASE}/campaigns/{made['id']}/report").json()
    assert (report["done"], report["reached"], report["reach_rate"], report["messaged"]) == (0, 0, None, 2)
    assert report["messages"] == {"queued": 2, "failed": 1}
    again = manager.post(f"{BASE}/campaigns/{made['id']}/messages").json()
    assert again == {"queued": 0, "suppressed": 0, "failed": 0, "already_sent": 1, "messaged": 0}
    page = demo_server.sign_in("manager").get(f"{PAGES}/campaigns/{made['id']}")
    assert 'data-count="messaged">2<' in page.text and 'data-messages="failed">1<' in page.text


def test_a_message_before_the_call_leaves_the_call_and_is_sent_once(keep_demo, manager, units, demo_server):
    # A-0101's owner opted out of SMS in the demo: recorded as not sent.
    made = campaign(manager, units, ["A-0101", "A-0103"], "before_call", message_channel="sms")
    browser = demo_server.sign_in("manager")
    sent = browser.form_post(f"{PAGES}/campaigns/{made['id']}/messages")
    assert sent.status_code == 303 and "queued=1&suppressed=1" in sent.headers["location"]
    assert [r.status for r in revisits_of(demo_server, made["id"])] == ["pending", "pending"]
    assert {m.channel for r in revisits_of(demo_server, made["id"]) for m in messages_about(demo_server, "revisit", r.id)} == {"sms"}
    assert "Messages queued: 1; not sent (opted out): 1" in browser.get(sent.headers["location"]).text
    assert manager.post(f"{BASE}/campaigns/{made['id']}/distribute").json()["messages"]["already_sent"] == 2


def test_a_campaign_without_messages_refuses_to_send_and_bad_modes_are_422(keep_demo, manager, units):
    made = campaign(manager, units, ["A-0101"], "none")
    assert manager.post(f"{BASE}/campaigns/{made['id']}/messages").status_code == 409
    assert manager.post(f"{BASE}/campaigns/{made['id']}/distribute").json()["messages"] is None
    bad = manager.post(f"{BASE}/campaigns", json={"name": "x", "rule": {"kind": "all"},
                                                  "agent_ids": [manager.user_ids["agent"]], "message_mode": "pigeon"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "message_mode"


# --- arrears reminders ---------------------------------------------------------------------------

REMIND = f"{BASE}/arrears/reminders"


def pdf_pages(data: bytes) -> int:
    """Pages of an uncompressed PDF: its page objects, without the page tree's."""
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", data))


def test_an_arrears_run_sends_80_messages_once_even_when_run_twice(keep_demo, demo_server):
    manager = demo_server.api_client("manager")
    first = manager.post(REMIND, json={})
    assert first.status_code == 201, first.text
    run = first.json()
    assert (run["queued"], run["suppressed"], run["failed"], run["already_sent"]) == (80, 0, 0, 0)
    assert run["letters"] > 0 and run["letters_url"]  # units without a household get a letter
    again = manager.post(REMIND, json={}).json()
    assert (again["queued"], again["letters"], again["already_sent"]) == (0, 0, 80 + run["letters"])

    from core.messages.models import Message
    from plugins.resident.models import ArrearsReminder

    month = run["month"]
    keys = demo_server.call(lambda: Message.filter(dedupe_key__startswith="arrears:").values_list("dedupe_key", flat=True))
    assert len(keys) == 80 and all(key.endswith(f":{month}") for key in keys)
    assert demo_server.call(lambda: ArrearsReminder.filter(month=month).count()) == 80 + run["letters"]
    zh = demo_server.call(lambda: Message.filter(dedupe_key__startswith="arrears:", language="zh_Hans").first())
    assert zh is not None and zh.channel == "email"  # the resident who prefers e-mail in 简体中文

    pdf = manager.get(run["letters_url"])  # the page's download, with the API's token
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf_pages(pdf.content) == run["letters"]
    assert manager.get(f"{REMIND}/{run['id']}").json() == run


def test_an_opted_out_resident_is_recorded_as_suppressed(keep_demo, demo_server):
    from core.actors import SYSTEM
    from core.entities.models import Party, Site
    from core.messages import services

    async def opt_out():
        site = await Site.get(code="harbour")
        party = await Party.get(site_id=site.id, name="林美玲")  # a phone only
        await services.set_opt_out(site, party, "sms", True, actor=SYSTEM)

    demo_server.call(opt_out)
    run = demo_server.api_client("manager").post(REMIND, json={}).json()
    assert run["suppressed"] > 0 and run["queued"] + run["suppressed"] == 80


def test_letters_for_everyone_when_asked_and_the_pages(keep_demo, demo_server):
    browser = demo_server.sign_in("manager")
    posted = browser.form_post(f"{PAGES}/fees/reminders", {"as_of": "", "letters": "yes"})
    assert posted.status_code == 303, posted.text
    page = browser.get(posted.headers["location"])
    assert page.status_code == 200 and 'data-count="queued">0<' in page.text
    letters = int(re.search(r'data-count="letters">(\d+)<', page.text).group(1))
    assert letters >= 80
    pdf = browser.get(re.search(r'href="([^"]+letters\.pdf)"', page.text).group(1))
    assert pdf.headers["content-type"] == "application/pdf" and pdf_pages(pdf.content) == letters
    fees = browser.get(f"{PAGES}/fees")
    assert fees.text.count(">Letter</") >= 1 and "Reminders sent" in fees.text

    from plugins.resident.models import ArrearsReminder

    bill_id = demo_server.call(lambda: ArrearsReminder.first()).bill_id
    bill_page = browser.get(f"{PAGES}/fees/bills/{bill_id}/reminder")
    assert 'id="bill-reminders"' in bill_page.text and "Letter" in bill_page.text


def test_reminder_bad_input_and_permissions(keep_demo, demo_server):
    manager = demo_server.api_client("manager")
    for body, field in (({"as_of": "2026-13-01"}, "as_of"), ({"letters": "maybe"}, "letters"),
                        ({"as_of": "2026-12-01", "channel": "fax"}, "channel")):
        refused = manager.post(REMIND, json=body)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text
    assert demo_server.api_client("supervisor").post(REMIND, json={}).status_code == 403  # reads fees only
    browser = demo_server.sign_in("manager")
    page = browser.form_post(f"{PAGES}/fees/reminders", {"as_of": "31/12/2026"})
    assert page.status_code == 422 and 'id="as_of-error"' in page.text
    assert manager.get(f"{REMIND}/999999").status_code == 404


def test_an_old_as_of_reminds_nothing_and_its_run_has_no_letters(keep_demo, demo_server):
    manager = demo_server.api_client("manager")
    run = manager.post(REMIND, json={"as_of": "2020-01-01"}).json()
    assert (run["queued"], run["letters"], run["already_sent"], run["letters_url"]) == (0, 0, 0, None)
    assert demo_server.sign_in("manager").get(f"{PAGES}/fees/reminders/{run['id']}/letters.pdf").status_code == 404
