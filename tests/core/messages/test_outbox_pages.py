"""The outbox's pages: the list with translated states and retry/cancel forms, a message
and its attempt log, the templates admin (a bad placeholder re-shows the form), a
party's contact preferences and opt-outs, the user's notices, and a record's history."""

import re

import pytest

from tests.core.messages.test_outbox import FAILURES, deliver, fresh, noon_at_harbour, outbox_plugin, party_at, queue
from tests.core.messages.test_outbox_api import notices_for

BASE = "/sites/harbour/messages"


@pytest.fixture
def outbox(make_demo_app):
    FAILURES.clear()
    return make_demo_app(extra_plugins=[outbox_plugin()])


def test_the_outbox_lists_messages_with_translated_states_and_filters(outbox):
    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    sent = queue(outbox, site, party, at=noon)
    deliver(outbox, noon)
    waiting = queue(outbox, site, party, about=("resident", "case", 3), at=noon)
    browser = outbox.sign_in("supervisor")
    browser.form_post("/language", {"language": "en", "next": "/"})
    page = browser.get(BASE)
    assert page.status_code == 200
    assert 'data-status="sent">Sent<' in page.text and 'data-status="queued">Queued<' in page.text
    assert f'id="message-{sent.id}"' in page.text and f'id="message-{waiting.id}"' in page.text
    assert 'href="/sites/harbour/messages/templates"' in page.text  # the templates admin
    assert f'action="/sites/harbour/messages/{waiting.id}/cancel"' in page.text
    assert "0912345678" in page.text  # a manager sees where it went
    filtered = browser.get(BASE, params={"subject": "resident.case:3"}).text
    assert f'id="message-{waiting.id}"' in filtered and f'id="message-{sent.id}"' not in filtered
    bad = browser.get(BASE, params={"subject": "case three"})
    assert bad.status_code == 422 and 'id="subject-error"' in bad.text


def test_retry_and_cancel_forms_and_a_stale_form_reshown_with_its_message(outbox):
    site, party = party_at(outbox)
    message = queue(outbox, site, party, at=noon_at_harbour(outbox))
    browser = outbox.sign_in("supervisor")
    detail = browser.get(f"{BASE}/{message.id}")
    assert detail.status_code == 200 and 'id="cancel"' in detail.text and "Not tried yet" in detail.text
    done = browser.form_post(f"{BASE}/{message.id}/cancel", {"version": "1"}, follow_redirects=False)
    assert done.status_code == 303 and fresh(outbox, message).status == "cancelled"
    stale = browser.form_post(f"{BASE}/{message.id}/cancel", {"version": "1"})
    assert stale.status_code == 409 and 'class="form-errors"' in stale.text
    retried = browser.form_post(f"{BASE}/{message.id}/retry", {"version": "2"}, follow_redirects=False)
    assert retried.status_code == 303 and fresh(outbox, message).status == "queued"
    missing = browser.form_post(f"{BASE}/{message.id}/cancel", {})
    assert missing.status_code == 422
    agent = outbox.sign_in("agent")
    assert agent.get(BASE).status_code == 403  # agents do not see the outbox
    assert agent.form_post(f"{BASE}/{message.id}/cancel", {"version": "3"}).status_code == 403
    assert fresh(outbox, message).status == "queued"


def test_the_attempt_log_shows_site_local_times(outbox):
    from core.clock import local_time

    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    message = queue(outbox, site, party, at=noon)
    FAILURES["pager"] = [("gateway answered 500", False)]
    deliver(outbox, noon)
    from core.messages.models import MessageAttempt

    started = outbox.call(lambda: MessageAttempt.get(message_id=message.id)).started_at
    page = outbox.sign_in("supervisor").get(f"{BASE}/{message.id}").text
    attempts = page.split('id="attempts"')[1]
    assert "gateway answered 500" in attempts and f"<td>{local_time(site, started)}</td>" in attempts


def test_the_templates_admin_reshows_a_bad_placeholder_and_saves_a_good_one(outbox):
    browser = outbox.sign_in("supervisor")
    listed = browser.get(f"{BASE}/templates")
    assert listed.status_code == 200 and 'id="template-outboxtest.hello"' in listed.text
    form_url = f"{BASE}/templates/outboxtest.hello/pager/en"
    assert f'href="{form_url}"' in listed.text
    form = browser.get(form_url)
    assert form.status_code == 200 and "Dear {name}, your case is closed." in form.text
    bad = browser.form_post(form_url, {"subject": "Hi", "body": "Dear {name}, room {room}", "version": ""})
    assert bad.status_code == 422 and 'id="body-error"' in bad.text and "{room}" in bad.text
    assert "Dear {name}, room {room}" in bad.text  # what was typed is kept
    saved = browser.form_post(form_url, {"subject": "Hi", "body": "Greetings {name}", "version": ""},
                              follow_redirects=False)
    assert saved.status_code == 303
    again = browser.get(form_url).text
    assert "Greetings {name}" in again and 'name="version" value="1"' in again
    reset = browser.form_post(form_url, {"reset": "1", "body": "", "version": "1"}, follow_redirects=False)
    assert reset.status_code == 303
    assert "Greetings {name}" not in browser.get(f"{BASE}/templates").text
    assert browser.get(f"{BASE}/templates/no.such/pager/en").status_code == 404
    assert outbox.sign_in("agent").get(form_url).status_code == 403


def test_the_contact_form_records_an_opt_out_and_reshows_errors(outbox):
    site, party = party_at(outbox)
    agent = outbox.sign_in("agent")
    party_page = agent.get(f"/sites/harbour/parties/{party.id}").text
    url = f"/sites/harbour/parties/{party.id}/contact"
    assert f'href="{url}"' in party_page
    form = agent.get(url)
    assert form.status_code == 200 and 'name="opt_out_pager"' in form.text
    version = re.search(r'name="version" value="(\d+)"', form.text).group(1)
    saved = agent.form_post(url, {"version": version, "preferred_language": "en", "preferred_channel": "pager",
                                  "opt_out_pager": "1", "reason_pager": "asked at the desk"}, follow_redirects=False)
    assert saved.status_code == 303
    assert queue(outbox, site, party).status == "suppressed"
    shown = agent.get(url).text
    assert 'name="opt_out_pager" value="1" checked' in shown and "asked at the desk" in shown
    bad = agent.form_post(url, {"version": str(int(version) + 1), "preferred_language": "fr"})
    assert bad.status_code == 422 and 'id="preferred_language-error"' in bad.text
    stale = agent.form_post(url, {"version": version, "preferred_language": "zh_Hans"})
    assert stale.status_code == 409 and 'class="form-errors"' in stale.text


def test_the_notifications_page_lists_own_notices_and_marks_them_read(outbox):
    notices_for(outbox, "supervisor", "agent", text="Call Mrs Lin back")
    agent = outbox.sign_in("agent")
    page = agent.get("/me/notifications")
    assert page.status_code == 200 and "Call Mrs Lin back" in page.text and 'id="mark-all-read"' in page.text
    agent.form_post("/me/notifications/read", {})
    assert 'id="mark-all-read"' not in agent.get("/me/notifications").text
    assert 'id="mark-all-read"' in outbox.sign_in("supervisor").get("/me/notifications").text


def test_a_records_history_include_shows_its_messages(outbox):
    from starlette.requests import Request

    from core.messages.web import history_context

    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    message = queue(outbox, site, party, about=("resident", "case", 9), at=noon)
    FAILURES["pager"] = [("550 no such number", True)]
    deliver(outbox, noon)
    queue(outbox, site, party, about=("resident", "case", 10), at=noon)

    async def rendered():
        request = Request({"type": "http", "app": outbox.app, "method": "GET", "path": "/", "headers": [],
                           "query_string": b"", "state": {"site": site}})
        context = await history_context(request, ("resident", "case", 9))
        template = outbox.app.state.templates.env.get_template("core/messages/_history.html")
        return context, template.render(**context)
    context, html = outbox.call(rendered)
    assert [row["id"] for row in context["message_history"]] == [message.id]
    row = context["message_history"][0]
    assert row["status"] == "failed" and row["reason"] == "550 no such number" and row["address"] == "09******78"
    assert 'data-history-subject="resident.case:9"' in html and 'data-history-site="harbour"' in html
    assert "550 no such number" in html and "09******78" in html
    alias = outbox.app.state.templates.env.get_template("messages/_history.html").render(**context)
    assert alias == html
