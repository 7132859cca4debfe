"""The outbox: a message is a row in the change's transaction, the worker sends what
committed, once, retrying with backoff, honouring opt-outs and quiet hours.

A test plugin declares a template and a channel that fails on demand (a channel of the
documented shape, as any plugin may add), so the worker's rules are tested through the
same contract the e-mail and SMS channels use."""

import asyncio
import datetime as dt
import types
from contextlib import asynccontextmanager

import pytest

from core import PluginMeta, hookimpl
from core.messages.channels import DeliveryFailed, Sent

FAILURES: dict[str, list] = {}


class PagerChannel:
    """Sends to a "pager number"; fails while ``FAILURES["pager"]`` holds reasons."""

    name = "pager"
    label = "Pager"
    respects_quiet_hours = True
    sent: list = []

    def address_of(self, party=None, user=None):
        return (party.phones[0] if party is not None and party.phones else "")

    def normalise_address(self, value):
        digits = value.strip()
        if not digits.isdigit():
            raise ValueError("digits only")
        return digits

    @asynccontextmanager
    async def connect(self, app):
        if FAILURES.get("connect"):
            raise DeliveryFailed(FAILURES["connect"].pop(0))
        yield self

    async def send(self, outgoing):
        queue = FAILURES.get("pager") or []
        if queue:
            reason, permanent = queue.pop(0)
            raise DeliveryFailed(reason, permanent=permanent)
        PagerChannel.sent.append(outgoing)
        return Sent(provider_id=f"p{outgoing.message_id}")


def outbox_plugin():
    from core.messages.templates import MessageTemplate

    module = types.ModuleType("outbox_test_plugin")
    module.meta = PluginMeta(name="outboxtest", version="1.0", core_requires=">=0.1")
    module.register_channels = hookimpl(lambda: [PagerChannel()])
    module.register_message_templates = hookimpl(lambda: [MessageTemplate(
        key="outboxtest.hello", label="Hello", placeholders=("name",), subject="Hello {name}",
        body="Dear {name}, your case is closed.", channels=("pager", "in_app"))])
    return module


@pytest.fixture
def outbox(make_demo_app):
    FAILURES.clear()
    PagerChannel.sent = []
    return make_demo_app(extra_plugins=[outbox_plugin()])


def party_at(server, phones=("0912345678",), **fields):
    from core.entities.models import Party, Site

    async def make():
        site = await Site.get(code="harbour")
        party = await Party.create(site=site, name="Mrs Lin", phones=list(phones), **fields)
        return site, party
    return server.call(make)


def queue(server, site, party=None, **kwargs):
    from core.messages import services

    kwargs.setdefault("channel", "pager")
    return server.call(lambda: services.queue(site, "outboxtest.hello", {"name": "Mrs Lin"}, party=party, **kwargs))


def deliver(server, now=None):
    from core.messages.worker import deliver_due

    return server.call(lambda: deliver_due(server.app, now))


def fresh(server, message):
    from core.messages.models import Message

    return server.call(lambda: Message.get(id=message.id))


def attempts_of(server, message):
    from core.messages.models import MessageAttempt

    return server.call(lambda: MessageAttempt.filter(message_id=message.id).order_by("id")
                       .values_list("outcome", "detail"))


def later(hours=0, minutes=0):
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours, minutes=minutes)


def noon_at_harbour(server):
    """A moment outside the default quiet hours (21:00-08:00) at harbour."""
    from zoneinfo import ZoneInfo

    from core.entities.models import Site

    zone = ZoneInfo(server.call(lambda: Site.get(code="harbour")).timezone)
    return dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(12), tzinfo=zone) \
        .astimezone(dt.timezone.utc)


def test_a_rolled_back_change_queues_nothing_and_a_committed_one_is_sent_once(outbox):
    from tortoise.transactions import in_transaction

    from core.messages import services
    from core.messages.models import Message

    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)

    async def rolled_back():
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await services.queue(site, "outboxtest.hello", {"name": "x"}, party=party, channel="pager", at=noon)
                raise RuntimeError("the change failed")
    outbox.call(rolled_back)
    assert outbox.call(lambda: Message.filter(party_id=party.id).count()) == 0

    message = queue(outbox, site, party, at=noon)
    assert message.status == "queued" and message.address == "0912345678"
    assert deliver(outbox, noon) == 1
    assert deliver(outbox, noon + dt.timedelta(hours=1)) == 0  # nothing twice
    sent = fresh(outbox, message)
    assert sent.status == "sent" and sent.provider_id == f"p{message.id}" and sent.attempts == 1
    assert sent.rendered_subject == "Hello Mrs Lin" and sent.rendered_body == "Dear Mrs Lin, your case is closed."
    assert [item.message_id for item in PagerChannel.sent] == [message.id]
    assert attempts_of(outbox, message) == [("sent", "")]


def test_a_passing_failure_is_retried_with_backoff_then_fails_with_the_reason(outbox):
    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    message = queue(outbox, site, party, at=noon)
    FAILURES["pager"] = [("gateway answered 500", False)]
    deliver(outbox, noon)
    retried = fresh(outbox, message)
    assert retried.status == "queued" and retried.reason == "gateway answered 500"
    wait = (retried.next_attempt_at - noon).total_seconds()
    assert 20 <= wait <= 40  # 30 s ± 20 %
    assert deliver(outbox, noon) == 0  # not due yet
    FAILURES["pager"] = [("timed out", False)] * 20
    for round_ in range(10):
        deliver(outbox, noon + dt.timedelta(hours=3 + round_ * 2))
    failed = fresh(outbox, message)
    assert failed.status == "failed" and failed.reason == "timed out" and failed.attempts == 8
    outcomes = [outcome for outcome, _detail in attempts_of(outbox, message)]
    assert outcomes == ["retry"] * 7 + ["failed"]
    assert PagerChannel.sent == []


def test_a_permanent_failure_fails_at_once_and_a_retry_sends_it(outbox):
    from core.actors import SYSTEM
    from core.messages import services

    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    message = queue(outbox, site, party, at=noon)
    FAILURES["pager"] = [("550 no such number", True)]
    deliver(outbox, noon)
    assert fresh(outbox, message).status == "failed"
    failed = fresh(outbox, message)
    again = outbox.call(lambda: services.retry(failed, actor=SYSTEM))
    assert again.status == "queued"
    deliver(outbox)
    assert fresh(outbox, message).status == "sent"
    assert [o for o, _d in attempts_of(outbox, message)] == ["failed", "sent"]


def test_an_unreachable_channel_keeps_every_message_of_the_batch(outbox):
    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    messages = [queue(outbox, site, party, at=noon) for _ in range(3)]
    FAILURES["connect"] = ["connection refused"]
    deliver(outbox, noon)
    assert {fresh(outbox, m).status for m in messages} == {"queued"}
    deliver(outbox, noon + dt.timedelta(hours=2))
    assert {fresh(outbox, m).status for m in messages} == {"sent"}


def test_one_message_per_dedupe_key_however_often_the_run_repeats(outbox):
    from core.messages.models import Message

    site, party = party_at(outbox)
    first = queue(outbox, site, party, dedupe_key="arrears:1:2026-12")
    second = queue(outbox, site, party, dedupe_key="arrears:1:2026-12")
    assert first.id == second.id
    assert outbox.call(lambda: Message.filter(dedupe_key="arrears:1:2026-12").count()) == 1


def test_an_opted_out_party_is_not_sent_to_and_the_message_says_so(outbox):
    from core.actors import SYSTEM
    from core.messages import services

    site, party = party_at(outbox)
    outbox.call(lambda: services.set_opt_out(site, party, "pager", True, reason="asked by phone", actor=SYSTEM))
    message = queue(outbox, site, party)
    assert message.status == "suppressed" and "opted out" in message.reason
    assert deliver(outbox, later(hours=24)) == 0
    # Opting back in keeps the row (the record of both) and lets the next message go.
    row = outbox.call(lambda: services.set_opt_out(site, party, "pager", False, actor=SYSTEM))
    assert row.active is False
    assert queue(outbox, site, party).status == "queued"


def test_a_bad_typed_address_is_422_naming_the_field(outbox):
    from core.problems import Problem

    site, party = party_at(outbox)
    with pytest.raises(Problem) as refused:
        queue(outbox, site, party, address="09-not-a-number", address_field="phone")
    assert refused.value.status == 422 and refused.value.errors[0]["field"] == "phone"


def test_a_party_without_an_address_is_refused_or_recorded(outbox):
    from core.problems import Problem

    site, party = party_at(outbox, phones=())
    with pytest.raises(Problem) as refused:
        queue(outbox, site, party)
    assert refused.value.status == 422 and refused.value.errors[0]["field"] == "channel"
    recorded = queue(outbox, site, party, unreachable="record")
    assert recorded.status == "failed" and "No Pager address" in recorded.reason


def test_quiet_hours_hold_messages_to_people_until_morning_but_not_notices(outbox):
    from zoneinfo import ZoneInfo

    from core.identity.models import User
    from core.messages import services

    site, party = party_at(outbox)
    zone = ZoneInfo(site.timezone)
    evening = dt.datetime.combine(dt.date(2026, 12, 1), dt.time(22, 30), tzinfo=zone)
    message = queue(outbox, site, party, at=evening.astimezone(dt.timezone.utc))
    assert message.next_attempt_at.astimezone(zone) == dt.datetime.combine(dt.date(2026, 12, 2), dt.time(8), tzinfo=zone)
    early = dt.datetime.combine(dt.date(2026, 12, 2), dt.time(6), tzinfo=zone)
    assert queue(outbox, site, party, at=early).next_attempt_at.astimezone(zone).time() == dt.time(8)
    supervisor = outbox.call(lambda: User.get(username="supervisor"))
    notice = outbox.call(lambda: services.queue(site, "outboxtest.hello", {"name": "x"}, user=supervisor,
                                                at=evening.astimezone(dt.timezone.utc)))
    assert notice.channel == "in_app" and notice.next_attempt_at == evening.astimezone(dt.timezone.utc)


def test_a_notice_reaches_only_its_user_live_and_on_the_bell(outbox):
    from core.identity.models import User
    from core.messages import services

    site, _party = party_at(outbox)
    supervisor, agent = outbox.call(lambda: User.get(username="supervisor")), outbox.call(lambda: User.get(username="agent"))
    bus = outbox.app.state.events
    theirs = bus.subscribe(site.id, {"core.task.read"}, user_id=supervisor.id)
    others = bus.subscribe(site.id, {"core.task.read", "core.message.read"}, user_id=agent.id)
    try:
        notice = outbox.call(lambda: services.queue(site, "outboxtest.hello", {"name": "Mrs Lin"}, user=supervisor))
        deliver(outbox)
        event = theirs.queue.get_nowait()
        assert event.name == "notification" and event.data["body"] == "Dear Mrs Lin, your case is closed."
        assert others.queue.empty()
    finally:
        bus.unsubscribe(theirs)
        bus.unsubscribe(others)
    assert fresh(outbox, notice).status == "delivered"
    assert outbox.call(lambda: services.unread_count(supervisor)) == 1
    assert outbox.call(lambda: services.unread_count(agent)) == 0
    assert outbox.call(lambda: services.mark_read(agent)) == 0  # nobody reads another's bell
    assert outbox.call(lambda: services.mark_read(supervisor, [notice.id])) == 1
    assert outbox.call(lambda: services.unread_count(supervisor)) == 0


def test_a_site_wording_in_the_party_language_is_used(outbox):
    from core.messages.models import MessageTemplateText

    site, party = party_at(outbox, preferred_language="zh_Hans")
    outbox.call(lambda: MessageTemplateText.create(site=site, template="outboxtest.hello", channel="pager",
                                                   language="zh_Hans", subject="", body="{name}，您的案件已结案。"))
    message = queue(outbox, site, party)
    assert message.language == "zh_Hans"
    deliver(outbox, later(hours=24))
    assert fresh(outbox, message).rendered_body == "Mrs Lin，您的案件已结案。"


def test_a_worker_that_vanished_has_its_messages_taken_again_after_the_lease(outbox):
    from core.messages.worker import claim

    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    message = queue(outbox, site, party, at=noon)
    assert [m.id for m in outbox.call(lambda: claim(outbox.app, noon))] == [message.id]
    assert outbox.call(lambda: claim(outbox.app, noon + dt.timedelta(seconds=60))) == []  # still held
    lease = outbox.app.state.settings.outbox_lease_seconds
    deliver(outbox, noon + dt.timedelta(seconds=lease + 1))
    assert fresh(outbox, message).status == "sent" and fresh(outbox, message).attempts == 2


def test_two_workers_claiming_at_once_never_share_a_message(outbox, database_backend):
    from core.messages.worker import claim

    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    ids = {queue(outbox, site, party, at=noon).id for _ in range(40)}

    async def both():
        return await asyncio.gather(claim(outbox.app, noon, limit=25), claim(outbox.app, noon, limit=25))
    first, second = outbox.call(both)
    first, second = {m.id for m in first}, {m.id for m in second}
    assert not first & second
    assert first | second == ids


def test_hook_register_channels(outbox):
    """A plugin's channel is offered beside core's and used by the worker."""
    from core.messages.services import registry

    assert {"in_app", "pager"} <= set(registry().channels)
    assert registry().channel("pager").name == "pager"


def test_hook_register_message_templates(outbox):
    from core.messages.services import registry
    from core.messages.templates import TemplateError, check_wording

    template = registry().template("outboxtest.hello")
    assert template.placeholders == ("name",)
    check_wording(template, "Hi {name}", "Dear {name}")
    with pytest.raises(TemplateError) as unknown:
        check_wording(template, "", "Dear {name}, you owe {amount}")
    assert unknown.value.field == "body" and "{amount}" in unknown.value.message
    for bad in ("{name.__class__}", "{name!r}", "{0}", "{name:>10}", "Dear {name"):
        with pytest.raises(TemplateError):
            check_wording(template, "", bad)


def test_logs_show_addresses_masked(outbox, caplog):
    import logging

    site, party = party_at(outbox, phones=("0912345678",))
    noon = noon_at_harbour(outbox)
    message = queue(outbox, site, party, at=noon)
    FAILURES["pager"] = [("gateway answered 500", False)]
    with caplog.at_level(logging.INFO, logger="frontdesk.messages"):
        deliver(outbox, noon)
    lines = "\n".join(record.getMessage() for record in caplog.records)
    assert f"message {message.id} to 09******78: retry" in lines
    assert "0912345678" not in lines


def test_an_opt_out_recorded_after_queueing_still_stops_the_message(outbox):
    from core.actors import SYSTEM
    from core.messages import services

    site, party = party_at(outbox)
    noon = noon_at_harbour(outbox)
    message = queue(outbox, site, party, at=noon)
    assert message.status == "queued"
    outbox.call(lambda: services.set_opt_out(site, party, "pager", True, reason="said no", actor=SYSTEM))
    assert deliver(outbox, noon) == 1
    stopped = fresh(outbox, message)
    assert stopped.status == "suppressed" and "opted out" in stopped.reason
    assert PagerChannel.sent == []


def test_a_refused_retry_carries_the_message_as_json(outbox):
    import json

    from core.actors import SYSTEM
    from core.messages import services
    from core.problems import Problem

    site, party = party_at(outbox)
    message = queue(outbox, site, party)
    with pytest.raises(Problem) as refused:
        outbox.call(lambda: services.retry(message, actor=SYSTEM))
    assert refused.value.status == 409
    current = json.loads(json.dumps(refused.value.extra["current"]))
    assert current["status"] == "queued" and current["created_at"].endswith("Z")
