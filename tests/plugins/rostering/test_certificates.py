"""Staff certificates: recorded and renewed with their rules, the number kept from who need
not see it, the supervisor reminded once before expiry, and rostering blocked by an expiry."""

import asyncio
import datetime as dt

import pytest

from core.testing.servers import DEMO_PASSWORD
from tests.plugins.rostering.conftest import add_duty, api, make_roster, make_shift, pages, today

CERTS = f"{api('lotus')}/certificates"
PAGE = f"{pages('lotus')}/certificates"


async def _no_certificates():
    from plugins.rostering.models import Certificate

    await Certificate.all().delete()


@pytest.fixture
def site(fresh):
    """The demo without rosters (``fresh``) nor certificates: each test records its own."""
    fresh.call(_no_certificates)
    return fresh


@pytest.fixture
def sup(site):
    return site.api_client("hotelsup")


def days(demo_server, n: int) -> str:
    return (today(demo_server) + dt.timedelta(days=n)).isoformat()


def record(client, user_id, expires_on, **fields):
    response = client.post(CERTS, json={"user_id": user_id, "kind": "health", "number": "HC-2026-0412",
                                        "expires_on": expires_on, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def refused_field(response, status=422):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [error["field"] for error in response.json()["errors"]]


# --- Recording and renewing -------------------------------------------------------------------


def test_a_certificate_is_recorded_read_and_listed_soonest_first(site, sup, user_ids):
    later = record(sup, user_ids["housekeeper"], days(site, 200), issued_on=days(site, -100))
    sooner = record(sup, user_ids["housekeeper2"], days(site, 10), number="HC-9")
    assert later["state"] == "valid" and later["days_left"] == 200 and later["number"] == "HC-2026-0412"
    assert sooner["state"] == "expiring" and sooner["kind_label"] == "Health certificate"
    assert sup.get(f"{CERTS}/{later['id']}").json()["issued_on"] == days(site, -100)
    listed = sup.get(CERTS, params={"expiring_within_days": 30}).json()["items"]
    assert [item["id"] for item in listed] == [sooner["id"]]
    assert [item["id"] for item in sup.get(CERTS, params={"user_id": user_ids["housekeeper"]}).json()["items"]] \
        == [later["id"]]
    assert sup.get(CERTS, params={"expired": "true"}).json()["items"] == []
    page = site.sign_in("hotelsup").get(PAGE).text
    assert page.index(f'id="certificate-{sooner["id"]}"') < page.index(f'id="certificate-{later["id"]}"')
    assert "Expires in 10 days" in page


def test_bad_certificates_are_refused_naming_the_field(site, sup, user_ids):
    housekeeper = user_ids["housekeeper"]
    body = {"user_id": housekeeper, "kind": "health", "expires_on": days(site, 30)}
    assert refused_field(sup.post(CERTS, json={**body, "kind": "wings"})) == ["kind"]
    assert refused_field(sup.post(CERTS, json={**body, "expires_on": days(site, -1)})) == ["expires_on"]
    assert refused_field(sup.post(CERTS, json={**body, "issued_on": days(site, 1)})) == ["issued_on"]
    assert refused_field(sup.post(CERTS, json={**body, "issued_on": days(site, -10),
                                               "expires_on": days(site, -11)})) == ["expires_on"]
    assert refused_field(sup.post(CERTS, json={**body, "user_id": user_ids["caller"]})) == ["user_id"]
    assert refused_field(sup.post(CERTS, json={"user_id": housekeeper, "kind": "health"})) == ["expires_on"]
    assert sup.get(CERTS).json()["items"] == []  # nothing half-written
    made = record(sup, housekeeper, days(site, 30))
    patch = f"{CERTS}/{made['id']}"
    assert refused_field(sup.patch(patch, json={"version": 1, "expires_on": None})) == ["expires_on"]
    assert refused_field(sup.patch(patch, json={"version": 1, "issued_on": days(site, 40)})) == ["issued_on"]
    assert refused_field(sup.patch(patch, json={"version": 1, "issued_on": days(site, -5),
                                                "expires_on": days(site, -6)})) == ["expires_on"]
    assert sup.get(patch).json()["version"] == 1


def test_a_renewal_is_versioned_and_audited(site, sup, user_ids):
    from core.audit.models import AuditEntry

    made = record(sup, user_ids["housekeeper"], days(site, 30))
    renewed = sup.patch(f"{CERTS}/{made['id']}", json={"version": 1, "expires_on": days(site, 395)})
    assert renewed.status_code == 200 and renewed.json()["version"] == 2 and renewed.json()["state"] == "valid"
    stale = sup.patch(f"{CERTS}/{made['id']}", json={"version": 1, "expires_on": days(site, 500)})
    assert stale.status_code == 409 and stale.json()["current"]["expires_on"] == days(site, 395)
    entry = site.call(lambda: AuditEntry.filter(action="rostering.certificate.renew", object_id=str(made["id"]))
                      .first())
    assert entry.before == {"expires_on": days(site, 30)} and entry.after == {"expires_on": days(site, 395)}
    created = site.call(lambda: AuditEntry.get(action="rostering.certificate.create", object_id=str(made["id"])))
    assert "HC-2026-0412" not in str(created.after)  # the audit log keeps the number masked


def test_concurrent_renewals_one_wins(site, sup, user_ids):
    from core.actors import Actor
    from core.entities.models import Site
    from core.identity.models import User
    from plugins.rostering import certificates
    from plugins.rostering.models import Certificate

    made = record(sup, user_ids["housekeeper"], days(site, 30))
    new_days = [dt.date.fromisoformat(days(site, n)) for n in (100, 200)]

    async def both():
        place, user = await Site.get(code="lotus"), await User.get(username="hotelsup")
        actor = Actor(user=user, site=place, permissions=frozenset({certificates.EDIT}))
        results = await asyncio.gather(*[
            certificates.update(site.app.state.tasks, place, await Certificate.get(id=made["id"]),
                                {"expires_on": day}, 1, actor)
            for day in new_days], return_exceptions=True)
        return [getattr(result, "status", "ok") for result in results]

    assert sorted(site.call(both), key=str) == [409, "ok"]
    assert sup.get(f"{CERTS}/{made['id']}").json()["version"] == 2


# --- Who sees what ------------------------------------------------------------------------------


def _reader_without_edit(demo_server):
    """A user at lotus whose role reads certificates (and rosters) but may not edit them."""
    from core.entities.models import Site
    from core.identity import services as identity
    from core.identity.models import Role

    granted = ["rostering.certificate.read", "rostering.roster.read"]

    async def create():
        role = await identity.create_role("cert_reader")
        await identity.set_role_permissions(role, granted, set(granted))
        user = await identity.create_user("certreader", DEMO_PASSWORD)
        await identity.grant_membership(user, await Site.get(code="lotus"), await Role.get(id=role.id))

    demo_server.call(create)


def test_the_number_is_shown_to_editors_and_the_holder_only(site, sup, user_ids):
    mine = record(sup, user_ids["housekeeper"], days(site, 60), number="HC-12345678")
    theirs = record(sup, user_ids["housekeeper2"], days(site, 60), number="HC-87654321")
    _reader_without_edit(site)
    reader = site.api_client("certreader")
    seen = reader.get(f"{CERTS}/{mine['id']}").json()
    assert seen["number"] != "HC-12345678" and "345" not in seen["number"] and seen["number_shown"] is False
    assert all("HC-" not in item["number"] or not item["number_shown"] for item in reader.get(CERTS).json()["items"])
    assert "HC-12345678" not in site.sign_in("certreader").get(PAGE).text
    assert reader.patch(f"{CERTS}/{mine['id']}", json={"version": 1, "note": "x"}).status_code == 403

    holder = site.api_client("housekeeper")
    own = holder.get(f"{CERTS}/{mine['id']}").json()
    assert own["number"] == "HC-12345678" and own["number_shown"] is True
    assert holder.get(f"{CERTS}/{theirs['id']}").status_code == 404
    assert holder.get(CERTS, params={"user_id": user_ids["housekeeper2"]}).status_code == 404
    assert [item["id"] for item in holder.get(CERTS).json()["items"]] == [mine["id"]]
    page = site.sign_in("housekeeper").get(PAGE).text
    assert "HC-12345678" in page and "HC-87654321" not in page and "HC-87" not in page
    assert holder.post(CERTS, json={"user_id": user_ids["housekeeper"], "kind": "health",
                                    "expires_on": days(site, 9)}).status_code == 403


# --- Reminders ----------------------------------------------------------------------------------


def _remind(demo_server):
    from plugins.rostering import jobs

    return demo_server.call(lambda: jobs.check(demo_server.app))


def _task(demo_server, task_id):
    from core.tasks.models import Task

    return demo_server.call(lambda: Task.get(id=task_id))


def test_one_reminder_thirty_days_before_expiry_for_a_supervisor(site, sup, user_ids, clock):
    made = record(sup, user_ids["housekeeper"], days(site, 32))
    assert _remind(site) == 0  # 32 days ahead: outside the 30-day window
    clock.shift(dt.timedelta(days=2, hours=1))
    assert _remind(site) == 1
    assert _remind(site) == 0  # run again: no second task
    reminder = site.api_client("hotelsup").get(f"{CERTS}/{made['id']}").json()["reminder_task_id"]
    task = _task(site, reminder)
    assert task.type == "rostering.certificate_expiry" and task.is_open
    assert (task.subject_plugin, task.subject_kind, task.subject_id) == ("rostering", "certificate", made["id"])
    assert task.assignee_id == user_ids["hotelsup"]

    from core.clock import local_today
    from core.entities.models import Site

    lotus = site.call(lambda: Site.get(code="lotus"))
    assert local_today(lotus, task.due_at - dt.timedelta(seconds=1)).isoformat() == made["expires_on"]


def test_concurrent_reminder_rounds_make_one_task(site, sup, user_ids):
    from core.tasks.models import Task
    from plugins.rostering import certificates

    made = record(sup, user_ids["housekeeper"], days(site, 5))

    async def rounds():
        kernel = site.app.state.tasks
        return await asyncio.gather(*[certificates.remind_expiring(kernel) for _ in range(3)])

    assert sum(site.call(rounds)) == 1
    tasks = site.call(lambda: Task.filter(subject_plugin="rostering", subject_kind="certificate",
                                          subject_id=made["id"]).count())
    assert tasks == 1


def test_a_renewal_past_the_window_closes_the_reminder(site, sup, user_ids):
    made = record(sup, user_ids["housekeeper"], days(site, 20))
    assert _remind(site) == 1
    reminder = sup.get(f"{CERTS}/{made['id']}").json()
    near = sup.patch(f"{CERTS}/{made['id']}", json={"version": reminder["version"], "expires_on": days(site, 25)})
    assert near.json()["reminder_task_id"] == reminder["reminder_task_id"]  # still inside the window: kept
    assert _task(site, reminder["reminder_task_id"]).is_open
    renewed = sup.patch(f"{CERTS}/{made['id']}", json={"version": near.json()["version"],
                                                        "expires_on": days(site, 400)})
    assert renewed.status_code == 200 and renewed.json()["reminder_task_id"] is None
    assert _task(site, reminder["reminder_task_id"]).status == "closed"
    assert _remind(site) == 0


def test_the_reminder_task_page_shows_the_certificate(site, sup, user_ids):
    from types import SimpleNamespace

    from core.entities.models import Site
    from core.identity.models import User
    from core.tasks.models import Task
    from core.tasks.types import Subject
    from plugins.rostering import certificate_pages

    made = record(sup, user_ids["housekeeper"], days(site, 3))
    _remind(site)
    task_id = sup.get(f"{CERTS}/{made['id']}").json()["reminder_task_id"]

    async def panel():
        place, user = await Site.get(code="lotus"), await User.get(username="hotelsup")
        request = SimpleNamespace(state=SimpleNamespace(site=place, user=user, permissions=frozenset(
            {"rostering.certificate.edit"}), permissions_by_site={place.id: frozenset()}, client_address=""))
        return await certificate_pages.task_panel(request, await Task.get(id=task_id),
                                                  Subject("rostering", "certificate", made["id"]))

    shown = site.call(panel)
    assert shown.url == f"/sites/lotus/rostering/certificates/{made['id']}"
    assert shown.context["certificate"]["expires_on"] == days(site, 3)
    assert shown.context["certificate"]["state"] == "expiring"


# --- Blocking rostering -------------------------------------------------------------------------


def test_an_expired_certificate_blocks_the_duty_and_a_renewal_unblocks_it(site, sup, user_ids):
    start = today(site)
    shift = make_shift(sup, code="HC", name="Kitchen", required_certificates=["health"])
    roster = make_roster(sup, start, days=14)
    made = record(sup, user_ids["housekeeper"], days(site, 3))
    add_duty(sup, roster, user_ids["housekeeper"], shift, start + dt.timedelta(days=2))  # still valid that day
    late = start + dt.timedelta(days=5)
    refused = sup.post(f"{api('lotus')}/rosters/{roster['id']}/duties",
                       json={"user_id": user_ids["housekeeper"], "shift_id": shift["id"], "day": late.isoformat()})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "user_id"
    assert "health" in refused.json()["detail"]
    sup.patch(f"{CERTS}/{made['id']}", json={"version": 1, "expires_on": days(site, 365)})
    add_duty(sup, roster, user_ids["housekeeper"], shift, late)


# --- Pages --------------------------------------------------------------------------------------


def test_the_add_form_is_reshown_with_the_field_message(site, user_ids):
    browser = site.sign_in("hotelsup")
    bad = browser.form_post(PAGE, {"user_id": str(user_ids["housekeeper"]), "kind": "health", "number": "HC-1",
                                   "expires_on": days(site, -3)})
    assert bad.status_code == 422
    assert 'id="expires_on-error"' in bad.text and "in the past" in bad.text and 'value="HC-1"' in bad.text
    good = browser.form_post(PAGE, {"user_id": str(user_ids["housekeeper"]), "kind": "health", "number": "HC-1",
                                    "expires_on": days(site, 3)})
    assert good.status_code == 303
    detail = browser.get(good.headers["location"]).text
    assert "HC-1" in detail and "Expires in 3 days" in detail


def test_the_renew_form_saves_and_reshows_its_messages(site, sup, user_ids):
    made = record(sup, user_ids["housekeeper"], days(site, 10))
    browser = site.sign_in("hotelsup")
    url = f"{PAGE}/{made['id']}"
    form = {"version": "1", "kind": "health", "number": "HC-2026-0412", "issued_on": "", "note": ""}
    bad = browser.form_post(url, {**form, "expires_on": ""})
    assert bad.status_code == 422 and 'id="expires_on-error"' in bad.text
    future_issue = browser.form_post(url, {**form, "issued_on": days(site, 5), "expires_on": days(site, 90)})
    assert future_issue.status_code == 422 and 'id="issued_on-error"' in future_issue.text
    saved = browser.form_post(url, {**form, "expires_on": days(site, 90)})
    assert saved.status_code == 303
    assert sup.get(f"{CERTS}/{made['id']}").json()["expires_on"] == days(site, 90)
    stale = browser.form_post(url, {**form, "expires_on": days(site, 120)})
    assert stale.status_code == 409 and "Someone changed this certificate" in stale.text
