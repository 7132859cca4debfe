"""A refund above the limit rings the bell of everyone at the site who may approve it (not
the cashier who posted it), in the posting's transaction, once per refund."""

import pytest

from core.messages.models import Message
from tests.plugins.cashier.conftest import key, open_shift, post

NOTICE = "cashier.refund_waiting"
APPROVE = "cashier.shift.review"


def notices_about(server, entry_id):
    return server.call(lambda: Message.filter(template=NOTICE, subject_plugin="cashier", subject_kind="entry",
                                              subject_id=entry_id).order_by("user_id"))


def lotus(server):
    from core.entities.models import Site

    return server.call(lambda: Site.get(code="lotus"))


def users(server, *names):
    from core.identity.models import User

    return [server.call(lambda name=name: User.get(username=name)) for name in names]


def test_a_refund_waiting_for_approval_rings_the_approvers_bell_only(demo_server, cashier, register):
    from core.messages import services
    from core.messages.worker import deliver_due

    site = lotus(demo_server)
    approvers = demo_server.call(lambda: services.holders_of(site, APPROVE))
    hotelsup, me, colleague, frontdesk = users(demo_server, "hotelsup", "cashier", "cashier2", "frontdesk")
    assert hotelsup.id in {user.id for user in approvers}
    shift = open_shift(cashier, register)
    bus = demo_server.app.state.events
    theirs = bus.subscribe(site.id, {"cashier.shift.review"}, user_id=hotelsup.id)
    try:
        refund = post(cashier, shift, kind="refund", amount="5000").json()
        notices = notices_about(demo_server, refund["id"])
        assert {n.user_id for n in notices} == {user.id for user in approvers} - {me.id}
        assert all(n.channel == "in_app" for n in notices)
        assert notices[0].context["amount"].replace(",", "").endswith("5000.00")
        assert notices[0].context["url"] == "/sites/lotus/cashier/review"
        demo_server.call(lambda: deliver_due(demo_server.app))
        events = []
        while not theirs.queue.empty():
            events.append(theirs.queue.get_nowait())
        bells = [event for event in events if event.name == "notification"]
        # In the approver's language: the site's (zh-Hant at lotus), nobody having chosen another.
        assert len(bells) == 1 and f"分錄 {refund['id']}" in bells[0].data["body"]
    finally:
        bus.unsubscribe(theirs)
    assert demo_server.call(lambda: services.unread_count(hotelsup, site.id)) == 1
    for other in (me, colleague, frontdesk):
        assert demo_server.call(lambda other=other: services.unread_count(other)) == 0


def test_a_refund_within_the_limit_and_a_repeated_request_ring_no_more(demo_server, cashier, register):
    shift = open_shift(cashier, register)
    small = post(cashier, shift, kind="refund", amount="100").json()
    assert notices_about(demo_server, small["id"]) == []
    headers = key()
    first = post(cashier, shift, kind="refund", amount="4000", headers=headers).json()
    again = post(cashier, shift, kind="refund", amount="4000", headers=headers).json()
    assert again["id"] == first["id"]
    rows = notices_about(demo_server, first["id"])
    assert len(rows) == len({n.user_id for n in rows}) >= 1  # one per approver, not two


def test_a_posting_that_rolled_back_rings_nobody(demo_server, cashier, register):
    from tortoise.transactions import in_transaction

    from core.actors import Actor
    from plugins.cashier import services
    from plugins.cashier.models import Entry, Shift

    shift = open_shift(cashier, register)
    site = lotus(demo_server)
    (me,) = users(demo_server, "cashier")
    kernel = demo_server.app.state.tasks
    posted = []

    async def posts_then_fails():
        row = await Shift.get(id=shift["id"])
        async with in_transaction():
            entry, created = await services.post_entry(kernel, site, row, Actor(user=me, site=site), kind="refund",
                                                       amount="6000", method="cash", key="rolled-back")
            posted.append(entry.id)
            assert created and await Message.filter(template=NOTICE, subject_id=entry.id).exists()
            raise RuntimeError("the surrounding change failed")

    with pytest.raises(RuntimeError):
        demo_server.call(posts_then_fails)
    assert not demo_server.call(lambda: Entry.filter(id=posted[0]).exists())
    assert notices_about(demo_server, posted[0]) == []


def test_the_notice_is_declared_in_app(demo_server):
    from core.messages.services import registry

    assert registry().template(NOTICE).channels == ("in_app",)
