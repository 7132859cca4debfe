"""The insurance desk confirms a promised callback to the caller: by SMS (through a real
local HTTP gateway) or e-mail, in the caller's language with the time on the site's clock,
queued with the call (a refused call queues nothing), suppressed for a caller who opted
out, shown on the call page and the callback's task page. An unsatisfied revisit's
escalation rings the supervisor's bell."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.messages.models import Message
from tests.core.messages.servers import HttpReceiver
from tests.plugins.insurance_calls.conftest import BASE, call_body
from tests.plugins.insurance_calls.test_complaint_reopen import TASKS, _complaint, _revisit

CONFIRMATION = "insurance_calls.callback_confirmation"
ENTRY = "/sites/sunrise/insurance_calls/"


def at_sunrise(day_offset=1, hour=10, minute=30):
    """A moment on sunrise's clock (Asia/Shanghai), as UTC text for the API."""
    zone = ZoneInfo("Asia/Shanghai")
    local = dt.datetime.combine(dt.date.today() + dt.timedelta(days=day_offset), dt.time(hour, minute), tzinfo=zone)
    return local.astimezone(dt.timezone.utc)


def promise(client, when=None, **fields):
    when = when or at_sunrise()
    return client.post(f"{BASE}/calls", json=call_body(outcome="follow_up", follow_up_at=when.strftime(
        "%Y-%m-%dT%H:%M:%SZ"), **fields))


def messages_about(server, call_id):
    return server.call(lambda: Message.filter(subject_plugin="insurance_calls", subject_kind="call",
                                              subject_id=call_id, template=CONFIRMATION).order_by("id"))


def known_caller(server, phone="13900001234", **fields):
    from core.entities.models import Party, Site

    async def make():
        site = await Site.get(code="sunrise")
        return site, await Party.create(site=site, name="周先生", phones=[phone], phone_index=phone, **fields)
    return server.call(make)


def test_the_confirmation_goes_by_sms_through_the_gateway_in_the_callers_language(make_demo_app):
    with HttpReceiver(lambda request: (200, b'{"id": "gw-9"}')) as gateway:
        server = make_demo_app(sms_gateway_url=f"{gateway.url}/send")
        caller = server.api_client("caller")
        response = promise(caller, send_confirmation=True)
        assert response.status_code == 201, response.text
        call = response.json()
        assert call["confirmation"]["channel"] == "sms" and call["confirmation"]["status"] == "queued"
        message = messages_about(server, call["id"])[0]
        assert message.address == "13900001234" and message.language == "zh_Hans"  # sunrise's language
        # The promised 10:30 on sunrise's clock, written as a zh-Hans reader writes it.
        due = at_sunrise()
        assert message.context["callback_time"].endswith("10:30")
        assert f"{due.astimezone(ZoneInfo('Asia/Shanghai')).month}月" in message.context["callback_time"]
        assert message.context == {**message.context, "name": "测试客户", "site_name": "Sunrise Insurance Service Line"}
        from core.messages.worker import deliver_due

        # SMS waits out the quiet hours: deliver at a moment after it is due.
        sent = server.call(lambda: deliver_due(server.app, message.next_attempt_at + dt.timedelta(minutes=1)))
        assert sent >= 1
    assert len(gateway.requests) == 1
    body = gateway.requests[0].json()
    assert body["to"] == "13900001234" and body["reference"] == str(message.id)
    assert "测试客户" in body["text"] and message.context["callback_time"] in body["text"]
    assert "Sunrise Insurance Service Line" in body["text"]
    assert server.call(lambda: Message.get(id=message.id)).status == "sent"


def test_a_known_caller_gets_it_in_their_language_and_an_opted_out_one_not_at_all(demo_server):
    from core.messages import services

    caller = demo_server.api_client("caller")
    site, party = known_caller(demo_server, preferred_language="en")
    first = promise(caller, send_confirmation=True).json()
    message = messages_about(demo_server, first["id"])[0]
    assert message.party_id == party.id and message.language == "en"
    assert message.context["callback_time"].endswith("10:30 AM")
    demo_server.call(lambda: services.set_opt_out(site, party, "sms", True, reason="asked on the phone"))
    second = promise(caller, when=at_sunrise(2), send_confirmation=True)
    assert second.status_code == 201, second.text
    confirmation = second.json()["confirmation"]
    assert confirmation["status"] == "suppressed" and confirmation["reason"]
    # and the call page says so
    page = demo_server.sign_in("caller").get(f"{ENTRY}?logged={second.json()['id']}").text
    assert 'data-status="suppressed"' in page and confirmation["status_label"] in page


@pytest.mark.parametrize("fields, field", [
    ({"phone": "1234567", "send_confirmation": True}, "phone"),  # a 7-digit number takes no SMS
    ({"send_confirmation": True, "confirmation_channel": "email"}, "confirmation_email"),
    ({"send_confirmation": True, "confirmation_channel": "email", "confirmation_email": "not-an-address"},
     "confirmation_email"),
])
def test_a_confirmation_that_cannot_be_addressed_is_422_naming_the_field_and_nothing_is_logged(
        demo_server, fields, field):
    from plugins.insurance_calls.models import Call

    caller = demo_server.api_client("caller")
    before = demo_server.call(lambda: Call.all().count())
    queued = demo_server.call(lambda: Message.filter(template=CONFIRMATION).count())
    response = promise(caller, **fields)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    # The confirmation is part of the call's transaction: no call, no callback, no message.
    assert demo_server.call(lambda: Call.all().count()) == before
    assert demo_server.call(lambda: Message.filter(template=CONFIRMATION).count()) == queued


def test_a_confirmation_goes_only_with_a_promised_callback(demo_server):
    response = demo_server.api_client("caller").post(f"{BASE}/calls", json=call_body(send_confirmation=True))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "send_confirmation"


def test_by_e_mail_to_the_typed_address_or_the_known_callers(demo_server):
    caller = demo_server.api_client("caller")
    typed = promise(caller, send_confirmation=True, confirmation_channel="email",
                    confirmation_email="Zhou@Example.com").json()
    assert typed["confirmation"]["channel"] == "email"
    assert messages_about(demo_server, typed["id"])[0].address == "Zhou@example.com"
    known_caller(demo_server, phone="13900005678", email="zhou@example.org")
    on_record = promise(caller, phone="13900005678", send_confirmation=True, confirmation_channel="email").json()
    message = messages_about(demo_server, on_record["id"])[0]
    assert message.address == "zhou@example.org" and message.context["name"] == "测试客户"


def test_without_the_tick_nothing_is_sent(demo_server):
    call = promise(demo_server.api_client("caller")).json()
    assert call["confirmation"] is None and messages_about(demo_server, call["id"]) == []


def test_one_confirmation_per_callback_and_promised_time(demo_server):
    from core.entities.models import Site
    from core.actors import SYSTEM
    from core.tasks.models import Task
    from plugins.insurance_calls import services
    from plugins.insurance_calls.models import Call

    call = promise(demo_server.api_client("caller"), send_confirmation=True).json()
    site = demo_server.call(lambda: Site.get(code="sunrise"))
    row = demo_server.call(lambda: Call.get(id=call["id"]))
    task = demo_server.call(lambda: Task.get(id=call["follow_up_task_id"]))
    again = demo_server.call(lambda: services.confirm_callback(site, SYSTEM, row, task, "sms"))
    assert again.id == call["confirmation"]["id"]
    task.due_at = task.due_at + dt.timedelta(hours=1)  # a new promised time: a new confirmation
    moved = demo_server.call(lambda: services.confirm_callback(site, SYSTEM, row, task, "sms"))
    assert moved.id != again.id and len(messages_about(demo_server, call["id"])) == 2


def test_the_form_sends_it_and_the_callback_task_page_shows_it(demo_server):
    client = demo_server.sign_in("caller")
    local = at_sunrise().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    form = {"direction": "inbound", "phone": "13900001234", "caller_name": "测试客户", "call_type": "other",
            "summary": "Wants a quote", "outcome": "follow_up", "follow_up_at": local, "send_confirmation": "1",
            "confirmation_channel": "sms"}
    response = client.form_post(ENTRY, form)
    assert response.status_code == 303, response.text
    call_id = int(response.headers["location"].rsplit("=", 1)[1])
    message = messages_about(demo_server, call_id)[0]
    assert message.channel == "sms" and message.context["callback_time"].endswith("10:30")
    page = client.get(response.headers["location"]).text
    assert f'data-message-id="{message.id}"' in page and 'data-status="queued"' in page
    from plugins.insurance_calls.models import Call

    task_id = demo_server.call(lambda: Call.get(id=call_id)).follow_up_task_id
    task_page = client.get(f"/sites/sunrise/tasks/{task_id}").text
    assert f'data-message-id="{message.id}"' in task_page
    # A bad e-mail address re-shows the form with the message beside its field.
    refused = client.form_post(ENTRY, {**form, "confirmation_channel": "email", "confirmation_email": "nope"})
    assert refused.status_code == 422 and 'id="confirmation_email"' in refused.text
    assert "e-mail address" in refused.text.lower() or "電郵" in refused.text or "邮" in refused.text


def test_an_unsatisfied_revisit_tells_the_supervisor_it_is_escalated_to(demo_server, caller, callsup, user_ids):
    from core.identity.models import User
    from core.messages import services
    from core.messages.worker import deliver_due

    call, complaint, revisit = _complaint(caller, callsup)
    complaint = callsup.post(f"{TASKS}/{complaint['id']}/assign",
                             json={"assignee_id": user_ids["caller2"], "version": complaint["version"]}).json()
    _revisit(caller, revisit, False)
    notices = demo_server.call(lambda: Message.filter(template="insurance_calls.complaint_escalated",
                                                      subject_id=complaint["id"]))
    assert [n.user_id for n in notices] == [user_ids["callsup"]]
    assert notices[0].context["url"] == f"/sites/sunrise/tasks/{complaint['id']}"
    demo_server.call(lambda: deliver_due(demo_server.app))
    sup, agent = (demo_server.call(lambda name=name: User.get(username=name)) for name in ("callsup", "caller2"))
    assert demo_server.call(lambda: services.unread_count(sup)) == 1
    assert demo_server.call(lambda: services.unread_count(agent)) == 0
