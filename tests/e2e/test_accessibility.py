"""axe-core on every page for every role (issue 22), in Chromium, in zh-Hant, on a desk.

Each demo role signs in and follows the same-site links of its pages from its home, one
page per route shape (``/sites/lotus/hotel/rooms/12`` stands for every room; the shapes
are those of the page-words test), and every page must have 0 axe-core violations. To keep
the time down (about 1 s a page) a shape is checked once per group of roles, by the first
role to reach it: the floor roles go first (their pages show the fewest controls), the
supervisors and then the administrators add the pages only they have. Plus a layout rule
axe does not know: a ``table.cards`` stays a table on a wide screen."""

from __future__ import annotations

from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from core.testing.pages import axe_violations, format_violations
from tests.e2e.test_page_words import ROLE_USERS, SKIP_PATH, _shape

pytestmark = pytest.mark.browser

DESK = {"width": 1366, "height": 900}
#: Pages per role (a safety net; the demo's roles reach 10 to 60 route shapes).
LIMIT = 80


#: Role groups, each one test (xdist runs them side by side); every role of ROLE_USERS is in one.
GROUPS = {
    "hotel": ("housekeeper", "frontdesk", "cashier", "hotelsup"),
    "calls-and-residents": ("caller", "callsup", "agent", "supervisor"),
    "management": ("manager", "admin"),
}


def crawl_with_axe(page, seen: set[str]) -> dict[str, list[dict]]:
    """{url: violations} over every route shape the signed-in user reaches from / that is
    not in ``seen`` (which it extends)."""
    queue = deque(["/"])
    report: dict[str, list[dict]] = {}
    visited = 0
    while queue and visited < LIMIT:
        url = queue.popleft()
        response = page.goto(url)
        visited += 1
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        page.wait_for_load_state()
        if violations := axe_violations(page):
            report[urlsplit(page.url).path + (f"?{urlsplit(page.url).query}" if urlsplit(page.url).query else "")] = \
                violations
        for href in page.eval_on_selector_all("a[href]:not([download])", "links => links.map(a => a.href)"):
            parts = urlsplit(urljoin(page.url, href))
            if parts.netloc != urlsplit(page.url).netloc:
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if SKIP_PATH.search(path) or "page=" in parts.query or "/logout" in path:
                continue
            if (shape := _shape(path)) not in seen:
                seen.add(shape)
                queue.append(path)
    return report


def test_the_groups_hold_every_role():
    assert sorted(user for users in GROUPS.values() for user in users) == sorted(ROLE_USERS)


@pytest.mark.parametrize("group", GROUPS)
def test_every_page_of_every_role_has_no_axe_violations(browser_as, group):
    seen: set[str] = set()
    report: dict[str, list[dict]] = {}
    for username in GROUPS[group]:
        page = browser_as(username, locale="zh-TW")
        page.set_viewport_size(DESK)
        for url, violations in crawl_with_axe(page, seen).items():
            report[f"{url} ({username})"] = violations
        page.context.close()
    text = "\n".join(f"{url}\n{format_violations(violations)}" for url, violations in sorted(report.items()))
    assert not report, f"axe violations on {len(report)} pages\n{text}"


@pytest.mark.parametrize("width, display", [(1366, "table"), (390, "block")])
def test_a_table_of_cards_is_a_table_on_a_desk_and_cards_on_a_phone(browser_as, width, display):
    """The old link-tile rule (.cards, a grid) must not reach table.cards: on a desk the
    task sheet's empty row sat over its header."""
    page = browser_as("hotelsup", locale="zh-TW")
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/sites/lotus/cashier/review")
    tables = page.locator("table.cards")
    assert tables.count() > 0
    assert set(tables.evaluate_all("ts => ts.map(t => getComputedStyle(t).display)")) == {display}
    if width > 600:
        # Each body row sits below the header, in the header's columns.
        overlaps = tables.evaluate_all("""ts => ts.filter(t => t.tHead && t.tBodies[0] && t.tBodies[0].rows[0] &&
            t.tBodies[0].rows[0].getBoundingClientRect().top < t.tHead.getBoundingClientRect().bottom - 1).length""")
        assert overlaps == 0
