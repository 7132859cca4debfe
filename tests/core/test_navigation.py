"""Navigation by desk and a home per role (issue 22): plugins declare desks with the site
kinds they serve, an administrator turns a desk on or off for a site, the menu shows the
desks the site uses and what the reader may use, one entry current, and ``/`` sends each
person to their own work."""

from __future__ import annotations

import re

import pytest

from core.audit.models import AuditEntry
from core.entities.models import Site
from core.menu import Desk, DeskHome, MenuItem
from core.permissions import AUTHENTICATED
from core.web.routing import page_route
from tests.core.test_hooks import plugin


def nav_of(html: str) -> str:
    match = re.search(r'<nav class="mainnav" id="site-menu"[^>]*>(.*?)</nav>', html, flags=re.S)
    assert match, "no main navigation on the page"
    return match.group(1)


def entries(html: str) -> list[str]:
    return re.findall(r'<li><a href="([^"]+)"', nav_of(html))


def groups(html: str) -> list[str]:
    return re.findall(r'<p class="navgroup-title" id="navgroup-([\w-]+)"', nav_of(html))


def current(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" aria-current="page"', nav_of(html))


def settings_version(server, code: str) -> int:
    return server.call(lambda: Site.get(code=code)).version


# --- What the menu holds, per role and site kind ---------------------------------------------

MENUS = [
    # username, page, groups shown, entries that must be there, prefixes that must not
    ("hotelsup", "/sites/lotus/my-work", ["general", "hotel", "cashier", "rostering", "admin"],
     ["/sites/lotus/hotel/", "/sites/lotus/cashier/review", "/sites/lotus/board"],
     ["/sites/lotus/resident/", "/sites/lotus/insurance_calls/"]),
    ("housekeeper", "/sites/lotus/my-work", ["general", "hotel", "rostering"],
     ["/sites/lotus/hotel/sheet", "/sites/lotus/my-work"],
     ["/sites/lotus/cashier/", "/sites/lotus/resident/", "/admin/", "/sites/lotus/board"]),
    ("cashier", "/sites/lotus/my-work", ["general", "cashier", "rostering"],
     ["/sites/lotus/cashier/"], ["/sites/lotus/resident/fees", "/sites/lotus/hotel/"]),
    ("supervisor", "/sites/harbour/my-work", ["general", "resident", "rostering", "admin"],
     ["/sites/harbour/resident/", "/sites/harbour/resident/fees", "/sites/harbour/board"],
     ["/sites/harbour/hotel/", "/sites/harbour/cashier/", "/sites/harbour/insurance_calls/"]),
    ("agent", "/sites/harbour/my-work", ["general", "resident", "rostering"],
     ["/sites/harbour/resident/"], ["/sites/harbour/hotel/", "/sites/harbour/resident/kpis", "/admin/"]),
    ("caller", "/sites/sunrise/my-work", ["general", "insurance_calls", "rostering"],
     ["/sites/sunrise/insurance_calls/", "/sites/sunrise/insurance_calls/callbacks"],
     ["/sites/sunrise/hotel/", "/sites/sunrise/resident/", "/sites/sunrise/insurance_calls/dashboard"]),
    # The same person sees the desks of the site being looked at.
    ("admin", "/sites/lotus/my-work", ["general", "hotel", "cashier", "rostering", "admin"],
     ["/sites/lotus/hotel/", "/admin/users"], ["/sites/lotus/resident/", "/sites/lotus/insurance_calls/"]),
    ("admin", "/sites/sunrise/my-work", ["general", "insurance_calls", "rostering", "admin"],
     ["/sites/sunrise/insurance_calls/dashboard"], ["/sites/sunrise/hotel/", "/sites/sunrise/cashier/"]),
    # Outside any site: the desks of the reader's first site.
    ("housekeeper", "/account", ["general", "hotel", "rostering"], ["/sites/lotus/hotel/sheet"],
     ["/sites/lotus/cashier/"]),
]


@pytest.mark.parametrize("username, path, shown, present, absent", MENUS,
                         ids=[f"{m[0]}-{m[1]}" for m in MENUS])
def test_the_menu_shows_the_sites_desks_and_what_the_role_may_use(demo_server, username, path, shown, present,
                                                                   absent):
    page = demo_server.sign_in(username).get(path)
    assert page.status_code == 200, page.text
    assert groups(page.text) == shown
    found = entries(page.text)
    assert set(present) <= set(found), set(present) - set(found)
    assert [url for url in found if url.startswith(tuple(absent))] == []
    assert len(found) == len(set(found))  # no entry twice


def test_the_hotel_supervisor_menu_is_grouped_and_shorter_than_before(demo_server):
    """Issue 22 counted 21 entries in one row for a supervisor; the hotel supervisor now
    sees only the hotel's desks, in groups, and no resident or phone desk entries."""
    page = demo_server.sign_in("hotelsup").get("/sites/lotus/hotel/").text
    hotel = re.search(r'id="navgroup-hotel">.*?</ul>', nav_of(page), flags=re.S).group(0)
    assert "/sites/lotus/hotel/sheet" in hotel and "/sites/lotus/cashier/" not in hotel
    assert not any("/resident/" in url or "/insurance_calls/" in url for url in entries(page))


CURRENT = [
    ("hotelsup", "/sites/lotus/hotel/", "/sites/lotus/hotel/"),
    ("hotelsup", "/sites/lotus/hotel/sheet", "/sites/lotus/hotel/sheet"),  # not the board too
    ("hotelsup", "/sites/lotus/hotel/discrepancies", "/sites/lotus/hotel/"),  # below the board
    ("hotelsup", "/sites/lotus/cashier/review", "/sites/lotus/cashier/review"),
    ("hotelsup", "/sites/lotus/my-work", "/sites/lotus/my-work"),
    ("admin", "/admin/users", "/admin/users"),
    ("admin", "/sites", "/sites"),
]


@pytest.mark.parametrize("username, path, expected", CURRENT, ids=[c[1] for c in CURRENT])
def test_exactly_one_entry_is_current_the_longest_that_holds_the_page(demo_server, username, path, expected):
    page = demo_server.sign_in(username).get(path)
    assert page.status_code == 200
    assert current(page.text) == [expected]


def test_a_page_of_one_site_is_not_the_list_of_sites(demo_server):
    # /sites is the list of every site: it does not stand for a task page of one site.
    page = demo_server.sign_in("hotelsup").get("/sites/lotus/handovers")
    assert current(page.text) == ["/sites/lotus/handovers"]
    room = demo_server.sign_in("hotelsup").get("/sites/lotus/units")
    assert current(room.text) == ["/sites/lotus/units"]


# --- A desk turned on and off for one site ------------------------------------------------------


def desk_form(version: int, **choices: str) -> dict:
    keys = ("resident", "hotel", "insurance_calls", "cashier", "rostering")
    return {"version": str(version), **{f"desks.{key}": choices.get(key, "auto") for key in keys}}


def test_an_administrator_turns_a_desk_off_and_another_on_for_one_site(demo_server):
    admin = demo_server.sign_in("admin")
    assert 'href="/sites/lotus/settings#settings-desks"' in admin.get("/admin/sites/lotus").text
    settings = admin.get("/sites/lotus/settings")
    assert 'action="/sites/lotus/settings/desks"' in settings.text
    assert '<select id="desks.hotel" name="desks.hotel"' in settings.text
    assert "On by default at: Hotel. In use here now." in settings.text
    assert "On by default at: Residential estate. Not in use here now." in settings.text
    assert "On by default at every kind of site. In use here now." in settings.text  # rostering

    saved = admin.form_post("/sites/lotus/settings/desks",
                            desk_form(settings_version(demo_server, "lotus"), cashier="off", resident="on"))
    assert saved.status_code == 303, saved.text
    entry = demo_server.call(lambda: AuditEntry.filter(action="site.settings.update").order_by("-id").first())
    assert entry.before == {"desks.cashier": "auto", "desks.resident": "auto"}
    assert entry.after == {"desks.cashier": "off", "desks.resident": "on"}

    assert "On by default at: Hotel, Retail. Not in use here now." in admin.get("/sites/lotus/settings").text
    hotelsup = demo_server.sign_in("hotelsup")
    page = hotelsup.get("/sites/lotus/my-work").text
    assert "cashier" not in groups(page) and "resident" in groups(page)
    assert "/sites/lotus/resident/" in entries(page)
    gone = hotelsup.get("/sites/lotus/cashier/review")
    assert gone.status_code == 404 and "This page belongs to Cash desk, which Lotus Garden Hotel does not use." in gone.text
    assert hotelsup.get("/sites/lotus/resident/").status_code == 200
    # The API is the integrations' contract: it stays.
    assert demo_server.api_client("hotelsup").get("/api/v1/sites/lotus/cashier/registers").status_code == 200
    # Other sites keep their own desks.
    assert "/sites/harbour/resident/" in entries(admin.get("/sites/harbour/my-work").text)

    # Back to the site's kind: the cashier is there again, the resident desk is not.
    back = admin.form_post("/sites/lotus/settings/desks", desk_form(settings_version(demo_server, "lotus")))
    assert back.status_code == 303
    assert hotelsup.get("/sites/lotus/cashier/review").status_code == 200
    assert hotelsup.get("/sites/lotus/resident/").status_code == 404


def test_desk_choices_are_validated_through_the_api_and_need_site_management(demo_server):
    admin = demo_server.api_client("admin")
    url = "/api/v1/sites/harbour/settings"
    body = admin.get(url).json()
    desks = next(group for group in body["groups"] if group["group"] == "desks")
    hotel = next(item for item in desks["settings"] if item["key"] == "hotel")
    assert hotel["type"] == "choice" and hotel["value"] == "auto" and hotel["label"] == "Hotel"
    bad = admin.patch(url, json={"version": body["version"], "values": {"desks": {"hotel": "maybe"}}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "desks.hotel"
    unknown = admin.patch(url, json={"version": body["version"], "values": {"desks": {"laundry": "on"}}})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "desks.laundry"
    assert settings_version(demo_server, "harbour") == body["version"]  # nothing written
    agent = demo_server.api_client("agent")
    assert agent.patch(url, json={"version": body["version"], "values": {"desks": {"hotel": "on"}}}).status_code in (403, 404)
    on = admin.patch(url, json={"version": body["version"], "values": {"desks": {"hotel": "on"}}})
    assert on.status_code == 200, on.text
    page = demo_server.sign_in("admin").get("/sites/harbour/my-work").text
    assert "hotel" in groups(page) and demo_server.sign_in("admin").get("/sites/harbour/hotel/").status_code == 200


# --- Where each role lands ---------------------------------------------------------------------

LANDINGS = {
    "admin": "/sites/harbour/board",  # first site by code: the estate's supervisor board
    "manager": "/sites/harbour/board",
    "supervisor": "/sites/harbour/board",
    "agent": "/sites/harbour/resident/",  # new and own cases
    "hotelsup": "/sites/lotus/hotel/",  # the room board
    "frontdesk": "/sites/lotus/hotel/",  # check-in and check-out on the board
    "housekeeper": "/sites/lotus/hotel/sheet",  # her rooms and tasks
    "cashier": "/sites/lotus/cashier/",  # the register and its open shift
    "callsup": "/sites/sunrise/insurance_calls/dashboard",  # the phone desk's KPIs
    "caller": "/sites/sunrise/insurance_calls/",  # the call form
}


@pytest.mark.parametrize("username", sorted(LANDINGS))
def test_each_demo_role_lands_on_its_own_work(demo_server, username):
    client = demo_server.sign_in(username)
    home = client.get("/")
    assert home.status_code == 303 and home.headers["location"] == LANDINGS[username]
    landed = client.get(home.headers["location"])
    assert landed.status_code == 200
    assert len(current(landed.text)) <= 1


def test_sign_in_leads_to_the_roles_home_and_visitors_see_the_start_page(demo_server):
    client = demo_server.client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    signed = client.post("/login", data={"username": "housekeeper", "password": "frontdesk-demo",
                                         "csrf_token": token, "next": "/"}, follow_redirects=True)
    assert str(signed.url).endswith("/sites/lotus/hotel/sheet") and signed.status_code == 200
    visitor = demo_server.client().get("/")
    assert visitor.status_code == 200 and 'class="hero"' in visitor.text


def test_a_desk_turned_off_is_no_home_and_someone_without_a_desk_home_gets_their_tasks(demo_server):
    admin = demo_server.sign_in("admin")
    version = settings_version(demo_server, "lotus")
    assert admin.form_post("/sites/lotus/settings/desks", desk_form(version, hotel="off")).status_code == 303
    housekeeper = demo_server.sign_in("housekeeper")
    assert housekeeper.get("/").headers["location"] == "/sites/lotus/my-work"
    assert housekeeper.get("/sites/lotus/hotel/sheet").status_code == 404


# --- The hook -----------------------------------------------------------------------------------


@pytest.mark.parametrize("keys", [("parking", "parking"), ("car-park",)])
def test_a_desk_key_twice_or_not_an_identifier_stops_start_up(make_app, keys):
    from core.errors import StartupError

    plugins = [plugin(f"desks{number}", register_desks=lambda key=key: [Desk(key, "Parking")])
               for number, key in enumerate(keys)]
    with pytest.raises(StartupError, match="each desk needs its own key"):
        make_app(extra_plugins=plugins)


def test_hook_register_desks(make_demo_app):
    from starlette.responses import PlainTextResponse

    async def lot(request):
        return PlainTextResponse("the car park")

    desk = Desk("parking", "Parking", site_kinds=("hotel",), order=1,
                homes=(DeskHome("hotel.room.check_in", "/sites/{site}/parking/"),))
    server = make_demo_app(extra_plugins=[plugin(
        "parking", register_desks=lambda: [desk],
        register_menu_items=lambda: [MenuItem("Car park", "/sites/{site}/parking/", AUTHENTICATED)],
        register_routes=lambda: [page_route("/sites/{site}/parking/", lot, permission=AUTHENTICATED)])])
    frontdesk = server.sign_in("frontdesk")
    assert frontdesk.get("/").headers["location"] == "/sites/lotus/parking/"  # order 1: before the hotel
    page = frontdesk.get("/sites/lotus/my-work").text
    assert groups(page)[:2] == ["general", "parking"] and "/sites/lotus/parking/" in entries(page)
    assert frontdesk.get("/sites/lotus/parking/").text == "the car park"
    agent = server.sign_in("agent")  # a residential estate: no car park desk
    assert "/sites/harbour/parking/" not in entries(agent.get("/sites/harbour/my-work").text)
    refused = agent.get("/sites/harbour/parking/")
    assert refused.status_code == 404 and "This page belongs to Parking, which Harbour View Residences does not use." in refused.text
    assert agent.get("/").headers["location"] == "/sites/harbour/resident/"
