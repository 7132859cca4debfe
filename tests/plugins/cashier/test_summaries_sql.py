"""The daily summary and the over/short totals summed in SQL give what a plain Python sum of
the same rows gives: every kind and method, reversals, refunds waiting for or refused an
approval, shifts closed at the exact local midnights of a 23-hour day, and many shifts."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

from core.entities.models import Site
from core.identity.models import User
from core.money import format_money
from plugins.cashier import reports
from plugins.cashier.models import KINDS, METHODS, SIGN, Approval, Deposit, Difference, Entry, Register, Shift

UTC = dt.timezone.utc
ZONE = ZoneInfo("Europe/Paris")
#: Paris moves its clocks forward that night: the day has 23 hours.
DAY = dt.date(2026, 3, 29)
MICRO = dt.timedelta(microseconds=1)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZONE).astimezone(UTC)


async def _till() -> tuple[Site, list[User], dict]:
    site = await Site.create(code="till-sql", name="Till check", kind="hotel", timezone="Europe/Paris", currency="EUR")
    people = [await User.create(username=f"till{n}", password_hash="x") for n in range(3)]
    register = await Register.create(site=site, name="Front")
    rng = random.Random(16)  # noqa: S311 — varied test data, not security
    start, end = local_midnight(DAY), local_midnight(DAY + dt.timedelta(days=1))
    closings = [start, start - MICRO, end, end - MICRO, start + dt.timedelta(hours=5), None]
    closings += [start + dt.timedelta(minutes=rng.randrange(-600, 2000)) for _ in range(10)]
    for number, closed in enumerate(closings):
        cashier = people[number % 3]
        shift = await Shift.create(site=site, register=register, cashier=cashier, opened_at=start - dt.timedelta(hours=9),
                                   status="open" if closed is None else "closed", closed_at=closed,
                                   takings=None if closed is None else rng.randrange(0, 90000),
                                   overage=None if closed is None else rng.choice((0, 150)),
                                   shortage=None if closed is None else rng.choice((0, 0, 2500)))
        for _ in range(12):
            kind, method = rng.choice(KINDS), rng.choice(METHODS)
            waits = kind == "refund" and rng.random() < 0.4
            entry = await Entry.create(site=site, shift=shift, kind=kind, method=method, amount=rng.randrange(1, 99999),
                                       needs_approval=waits, created_by=cashier, created_at=start)
            if waits:
                await Approval.create(site=site, entry=entry, status=rng.choice(("pending", "approved", "rejected")))
            if rng.random() < 0.2:
                await Entry.create(site=site, shift=shift, kind=kind, method=method, amount=entry.amount,
                                   reverses=entry, is_reversal=True, needs_approval=waits, reason="typo",
                                   created_by=cashier, created_at=start)
        if closed is not None:
            for kind in rng.sample(("overage", "shortage"), rng.randrange(3)):
                amount = rng.randrange(1, 5000)
                await Difference.create(site=site, shift=shift, cashier=cashier, kind=kind, amount=amount,
                                        settled=rng.randrange(amount + 1) if kind == "shortage" else 0, created_at=closed)
    for number, made in enumerate([start, start - MICRO, end, end - MICRO, start + dt.timedelta(hours=3)]):
        await Deposit.create(site=site, bag_number=f"B{number}", amount=rng.randrange(1, 10**7), created_by=people[0],
                             witness=people[1], created_at=made, witnessed_at=made)
    rows = {
        "shifts": await Shift.filter(site=site).values("id", "closed_at", "takings", "overage", "shortage"),
        "entries": await Entry.filter(site=site).values("id", "shift_id", "kind", "method", "amount", "is_reversal",
                                                        "reverses_id", "needs_approval"),
        "approvals": dict(await Approval.filter(site=site).values_list("entry_id", "status")),
        "deposits": await Deposit.filter(site=site).values("amount", "created_at"),
        "differences": await Difference.filter(site=site).values("cashier_id", "kind", "amount", "settled"),
    }
    return site, people, rows


def _reference_day(rows: dict, currency: str) -> dict:
    start, end = local_midnight(DAY), local_midnight(DAY + dt.timedelta(days=1))
    shifts = [s for s in rows["shifts"] if s["closed_at"] and start <= s["closed_at"] < end]
    ids = {s["id"] for s in shifts}
    net = dict.fromkeys(METHODS, 0)
    for entry in (e for e in rows["entries"] if e["shift_id"] in ids):
        original = entry["reverses_id"] if entry["is_reversal"] else entry["id"]
        if entry["needs_approval"] and rows["approvals"].get(original) != "approved":
            continue
        net[entry["method"]] += SIGN[entry["kind"]] * entry["amount"] * (-1 if entry["is_reversal"] else 1)
    deposits = [d for d in rows["deposits"] if start <= d["created_at"] < end]

    def money(value):
        return format_money(value, currency)

    return {"date": DAY.isoformat(), "shifts": len(shifts), "net_by_method": {m: money(v) for m, v in net.items()},
            "takings": money(sum(s["takings"] or 0 for s in shifts)),
            "overage": money(sum(s["overage"] or 0 for s in shifts)),
            "shortage": money(sum(s["shortage"] or 0 for s in shifts)),
            "deposited": money(sum(d["amount"] for d in deposits)), "deposits": len(deposits)}


def _reference_totals(differences: list[dict], currency: str, cashier_id=None) -> dict:
    mine = [d for d in differences if cashier_id is None or d["cashier_id"] == cashier_id]
    shortages = [d for d in mine if d["kind"] == "shortage"]
    return {"overage_total": format_money(sum(d["amount"] for d in mine if d["kind"] == "overage"), currency),
            "shortage_total": format_money(sum(d["amount"] for d in shortages), currency),
            "shortage_outstanding": format_money(sum(d["amount"] - d["settled"] for d in shortages), currency)}


def test_daily_summary_and_over_short_in_sql_match_a_plain_sum(server):
    async def both_ways():
        site, people, rows = await _till()
        summaries = [(await reports.daily_summary(site, DAY), _reference_day(rows, site.currency))]
        for cashier_id in (None, *(person.id for person in people)):
            counted = await reports.over_short(site, cashier_id)
            summaries.append(({name: counted[name] for name in ("overage_total", "shortage_total",
                                                                "shortage_outstanding")},
                              _reference_totals(rows["differences"], site.currency, cashier_id)))
        return summaries, await reports.daily_summary(site, DAY - dt.timedelta(days=30))

    summaries, empty = server.call(both_ways)
    for counted, reference in summaries:
        assert counted == reference
    day = summaries[0][0]
    assert day["shifts"] >= 4 and day["deposits"] == 3 and day["net_by_method"]["cash"] != "0.00"
    assert empty["shifts"] == 0 and empty["net_by_method"]["cash"] == "0.00" and empty["deposited"] == "0.00"


def test_over_short_totals_count_every_difference_not_only_those_listed(server):
    async def totals():
        site = await Site.create(code="till-many", name="Many", kind="hotel", timezone="UTC", currency="EUR")
        cashier = await User.create(username="tillmany", password_hash="x")
        register = await Register.create(site=site, name="Front")
        now = dt.datetime.now(UTC)
        await Shift.bulk_create([Shift(site=site, register=register, cashier=cashier, opened_at=now, status="closed",
                                       closed_at=now) for _ in range(501)])
        shifts = await Shift.filter(site=site).values_list("id", flat=True)
        await Difference.bulk_create([Difference(site=site, shift_id=shift_id, cashier=cashier, kind=kind, amount=100,
                                                 settled=40 if kind == "shortage" else 0, created_at=now)
                                      for shift_id in shifts for kind in ("overage", "shortage")])
        return await reports.over_short(site)

    listed = server.call(totals)
    assert len(listed["items"]) == 1000
    assert (listed["overage_total"], listed["shortage_total"], listed["shortage_outstanding"]) == \
        ("501.00", "501.00", "300.60")
