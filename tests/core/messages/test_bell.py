"""The bell: every page of a signed-in user shows their unread in-app notices (one COUNT
per page), links to the notifications page and listens for new ones on the live stream."""

import re

from tests.core.messages.test_outbox_api import notices_for


def bell_count(html):
    match = re.search(r'<span class="bell-count" data-bell-count( hidden)?>(\d+)</span>', html)
    assert match, "no bell on the page"
    return int(match.group(2)), bool(match.group(1))


def test_the_bell_counts_own_unread_notices_on_every_page(demo_server):
    agent = demo_server.sign_in("agent")
    home = agent.get("/", follow_redirects=True).text
    assert bell_count(home) == (0, True)  # nothing unread: the count is hidden
    assert 'href="/me/notifications"' in home and 'data-bell-site="harbour"' in home
    assert '<script src="/static/theme/js/messages.js" defer></script>' in home

    notices_for(demo_server, "agent", "supervisor")
    notices_for(demo_server, "agent", text="Another one")
    assert bell_count(agent.get("/sites/harbour/parties").text) == (2, False)
    assert bell_count(demo_server.sign_in("supervisor").get("/", follow_redirects=True).text) == (1, False)
    agent.form_post("/me/notifications/read", {})
    assert bell_count(agent.get("/", follow_redirects=True).text) == (0, True)
    anonymous = demo_server.client().get("/login").text
    assert "data-bell" not in anonymous


def test_a_notice_reaches_its_one_user_live_as_a_notification_event(demo_server):
    """The worker publishes a sent notice as ``notification`` to its user only (what the
    bell's script listens to on the page's event stream)."""
    import asyncio

    from core.entities.models import Site
    from core.events import Subscription
    from core.identity.models import User

    bus = demo_server.app.state.events

    async def subscribe(username):
        site = await Site.get(code="harbour")
        user = await User.get(username=username)
        subscription = Subscription(site_id=site.id, permissions=frozenset({"core.task.read"}), user_id=user.id)
        bus.subscriptions.add(subscription)
        return subscription
    agent = demo_server.call(lambda: subscribe("agent"))
    other = demo_server.call(lambda: subscribe("agent2"))
    notices_for(demo_server, "agent", text="Room 12 needs you")

    async def received(subscription):
        try:
            return await asyncio.wait_for(subscription.queue.get(), timeout=2)
        except asyncio.TimeoutError:
            return None
    event = demo_server.call(lambda: received(agent))
    assert event is not None and event.name == "notification" and event.data["subject"] == "Room 12 needs you"
    assert other.queue.empty()
    bus.subscriptions.discard(agent)
    bus.subscriptions.discard(other)


def test_the_bell_costs_one_count_query_per_page(demo_server):
    """Measured: the same page rendered with and without the bell's count, interleaved."""
    import os
    import time

    agent = demo_server.sign_in("agent")
    notices_for(demo_server, "agent")
    preparers = demo_server.app.state.page_preparers
    rounds = int(os.environ.get("BELL_ROUNDS", "15"))
    times = {True: [], False: []}
    try:
        for index in range(rounds * 2 + 2):
            bell = index % 2 == 0
            demo_server.app.state.page_preparers = preparers if bell else ()
            started = time.perf_counter()
            assert agent.get("/sites/harbour/parties").status_code == 200
            if index >= 2:  # the first of each: warming up
                times[bell].append((time.perf_counter() - started) * 1000)
    finally:
        demo_server.app.state.page_preparers = preparers
    with_bell, without = (sorted(times[key])[rounds // 2] for key in (True, False))
    print(f"parties page (median of {rounds}): {without:.2f} ms without the bell, {with_bell:.2f} ms with it")
    assert with_bell < without + 25
