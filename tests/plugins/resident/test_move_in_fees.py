"""A move-in's "fees settled" step is refused while the unit owes fees (issue 17), with the
amount owed formatted by core.money, through the API and the procedure page; allowed once
the bills are paid."""

from tests.plugins.resident.conftest import BASE

PAGES = "/sites/harbour/resident"


def _owing_unit(manager, units, code="A-0101", fixed="1234.50"):
    """``code`` billed one period of ``fixed`` (and nothing paid); its bill."""
    assert manager.post(f"{BASE}/fee-schedules", json={"unit_kind": "apartment", "fixed": fixed}).status_code == 200
    assert manager.post(f"{BASE}/billing-runs", json={"period": "2026-10"}).status_code == 201
    [bill] = manager.get(f"{BASE}/bills", params={"unit_id": units[code]}).json()["items"]
    return bill


def _move_in(client, unit_id):
    created = client.post(f"{BASE}/procedures", json={"kind": "move_in", "unit_id": unit_id})
    assert created.status_code == 201, created.text
    return created.json()


def _pay(manager, bill, amount):
    response = manager.post(f"{BASE}/bills/{bill['id']}/payments", json={"amount": amount, "method": "cash"},
                            headers={"Idempotency-Key": f"pay-{bill['id']}-{amount}"})
    assert response.status_code == 201, response.text


def test_the_fees_step_waits_for_the_unit_s_bills_to_be_paid(demo_server, manager, agent, units):
    bill = _owing_unit(manager, units)
    procedure = _move_in(agent, units["A-0101"])
    url = f"{BASE}/procedures/{procedure['id']}"
    refused = agent.post(f"{url}/steps", json={"step": "fees", "version": procedure["version"]})
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["step"] == "fees" and problem["owed"] == "1234.50" and "1234.50" in problem["detail"]
    assert problem["errors"] == [{"field": "step", "message": problem["detail"]}]
    assert agent.get(url).json() == procedure  # nothing written
    # another unit's bill is not this unit's debt; other steps go on
    assert agent.post(f"{url}/steps", json={"step": "meters", "version": procedure["version"]}).status_code == 200
    _pay(manager, bill, "1000")
    partly = agent.post(f"{url}/steps", json={"step": "fees", "version": procedure["version"] + 1})
    assert partly.status_code == 409 and partly.json()["owed"] == "234.50"
    _pay(manager, bill, "234.50")
    settled = agent.post(f"{url}/steps", json={"step": "fees", "version": procedure["version"] + 1})
    assert settled.status_code == 200, settled.text
    assert next(s for s in settled.json()["steps"] if s["key"] == "fees")["done"] is True


def test_a_unit_never_billed_settles_at_once_and_another_unit_s_debt_does_not_count(manager, agent, units):
    _owing_unit(manager, units)  # every apartment owes its October bill
    bills = manager.get(f"{BASE}/bills", params={"unit_id": units["A-0102"]}).json()["items"]
    for bill in bills:
        _pay(manager, bill, bill["outstanding"])
    procedure = _move_in(agent, units["A-0102"])
    done = agent.post(f"{BASE}/procedures/{procedure['id']}/steps", json={"step": "fees", "version": procedure["version"]})
    assert done.status_code == 200, done.text


def test_the_procedure_page_refuses_the_step_with_the_amount_and_marks_it_once_paid(demo_server, manager, agent, units):
    bill = _owing_unit(manager, units, fixed="1500")
    procedure = _move_in(agent, units["A-0101"])
    browser = demo_server.sign_in("agent")
    url = f"{PAGES}/procedures/{procedure['id']}"
    page = browser.get(url)
    assert page.status_code == 200 and "Fees settled" in page.text and "1500.00" in page.text
    refused = browser.form_post(f"{url}/steps", {"step": "fees", "version": str(procedure["version"])})
    assert refused.status_code == 409
    alert = refused.text.split('<div class="form-errors" role="alert">', 1)[1].split("</div>", 1)[0]
    assert "A-0101" in alert and "1500.00" in alert
    _pay(manager, bill, "1500")
    done = browser.form_post(f"{url}/steps", {"step": "fees", "version": str(procedure["version"])})
    assert done.status_code == 303 and done.headers["location"].endswith(f"/procedures/{procedure['id']}")
    assert next(s for s in agent.get(f"{BASE}/procedures/{procedure['id']}").json()["steps"]
                if s["key"] == "fees")["done"] is True


def _settled_move_in(server):
    """A move-in at a unit that owes nothing (A-0101's bills paid, if it has any)."""
    from core.actors import Actor
    from core.entities.models import Site, Unit
    from core.identity.models import User
    from core.money import format_money
    from plugins.resident import fees, procedures
    from plugins.resident.models import Bill

    async def make():
        site = await Site.get(code="harbour")
        unit = await Unit.get(site_id=site.id, code="A-0101")
        manager = Actor(await User.get(username="manager"))
        for bill in await Bill.filter(unit_id=unit.id, outstanding_minor__gt=0):
            await fees.pay(site, bill, format_money(bill.outstanding_minor, site.currency), "cash", manager)
        procedure = await procedures.create(site, {"kind": "move_in", "unit_id": unit.id}, manager)
        return {"id": procedure.id, "version": procedure.version}

    return server.call(make)


def test_marking_fees_settled_through_the_page_and_the_api(parity):
    footprint = parity.check(
        "supervisor", prepare=_settled_move_in,
        api=lambda p: ("POST", f"{BASE}/procedures/{p['id']}/steps", {"step": "fees", "version": p["version"]}),
        page=lambda p: (f"{PAGES}/procedures/{p['id']}/steps", {"step": "fees", "version": str(p["version"])}))
    assert footprint.audit == ["resident.procedure.step"]
