"""A ``resync`` event (the stream came back after missing more than the event log keeps)
makes open pages reload their data from the server, in headless Chromium: the live region
of core's pages (live.js) and the hotel board (hotel.js), without reloading the page."""

import pytest

from core.entities.models import Site
from core.events import LiveEvent

pytestmark = pytest.mark.browser


def resync(server, site_code):
    site_id = server.call(lambda: Site.get(code=site_code)).id
    server.call(server.app.state.events.publish, LiveEvent(site_id, "resync", {}))


def test_a_resync_refreshes_the_live_region(browser_as, live_demo_server):
    from core.tasks.models import Task

    page = browser_as("agent")
    page.goto("/sites/harbour/my-work")
    page.wait_for_selector("[data-live-connected='true']")
    task = live_demo_server.call(lambda: Task.filter(assignee__username="agent", is_open=True).first())
    assert task is not None, "the demo gives the agent open tasks"
    # A change the page heard nothing about (its event was missed).
    live_demo_server.call(lambda: Task.filter(id=task.id).update(title="Missed: a leak on floor 3"))
    assert page.evaluate("() => (window.__notReloaded = true)")
    resync(live_demo_server, "harbour")
    page.wait_for_selector("text=Missed: a leak on floor 3", timeout=5000)
    assert page.evaluate("() => window.__notReloaded") is True


def test_a_resync_reloads_the_hotel_board(browser_as, live_demo_server):
    from plugins.hotel.models import Room

    page = browser_as("frontdesk")
    page.goto("/sites/lotus/hotel/")
    page.wait_for_selector("[data-hotel-board][data-live-connected]")
    room_id = int(page.get_attribute('.hotel-tile[data-code="VD"]', "data-room-id"))

    async def change_unheard():
        await Room.filter(id=room_id).update(code="VC", housekeeping="clean")
        cache = getattr(live_demo_server.app.state, "hotel_boards", None)
        if cache is not None:
            cache.forget(await Room.get(id=room_id).values_list("site_id", flat=True))

    live_demo_server.call(change_unheard)
    assert page.evaluate("() => (window.__notReloaded = true)")
    resync(live_demo_server, "lotus")
    page.wait_for_selector(f'[data-room-id="{room_id}"].code-VC', timeout=5000)
    assert page.evaluate("() => window.__notReloaded") is True
