"""Shift patterns, rosters and duties through the API: bad input named by field, 409s,
copying last week, publishing refused under the minimum, on-duty and published duties."""

import datetime as dt

from core.audit.models import AuditEntry
from tests.plugins.rostering.conftest import add_duty, api, clock_in, make_roster, make_shift, publish

L = api("lotus")


def fields_of(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def test_shift_patterns_times_and_bad_input(hotelsup):
    night = make_shift(hotelsup, code="N", name="夜班", start="23:00", end="07:00", break_minutes=30)
    assert night["crosses_midnight"] and night["duration_minutes"] == 480 and night["end"] == "07:00"
    # patterns of one department may overlap (中班 over 早班): legitimate
    make_shift(hotelsup, code="E", start="07:00", end="15:00")
    assert make_shift(hotelsup, code="M", name="中班", start="11:00", end="19:00")["start"] == "11:00"
    cases = [({"start": "7am"}, "start"), ({"end": "24:00"}, "end"), ({"start": "09:00", "end": "09:00"}, "end"),
             ({"break_minutes": 480}, "break_minutes"), ({"required_certificates": ["astronaut"]},
                                                          "required_certificates"),
             ({"code": "A B"}, "code")]
    for change, field in cases:
        body = {"department": "housekeeping", "code": "X", "name": "X", "start": "08:00", "end": "12:00", **change}
        response = hotelsup.post(f"{L}/shifts", json=body)
        assert response.status_code == 422 and field in fields_of(response), (change, response.text)
    duplicate = hotelsup.post(f"{L}/shifts", json={"department": "housekeeping", "code": "N", "name": "Again",
                                                   "start": "22:00", "end": "06:00"})
    assert duplicate.status_code == 409 and fields_of(duplicate) == ["code"]
    # the same code in another department is another shift
    assert make_shift(hotelsup, department="front_desk", code="N")["department"] == "front_desk"
    listed = hotelsup.get(f"{L}/shifts", params={"department": "housekeeping"}).json()
    assert [shift["code"] for shift in listed] == ["E", "M", "N"]  # by start within the department


def test_shift_update_is_versioned_and_audited(fresh, hotelsup):
    shift = make_shift(hotelsup, required_certificates=["health"])
    changed = hotelsup.patch(f"{L}/shifts/{shift['id']}", json={"version": shift["version"], "end": "16:00",
                                                                "min_staff": 2})
    assert changed.status_code == 200, changed.text
    assert changed.json()["duration_minutes"] == 540 and changed.json()["min_staff"] == 2
    stale = hotelsup.patch(f"{L}/shifts/{shift['id']}", json={"version": shift["version"], "name": "Late"})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == changed.json()["version"]
    assert fresh.api_client("housekeeper").patch(f"{L}/shifts/{shift['id']}", json={"version": 2}).status_code == 403
    actions = fresh.call(lambda: AuditEntry.filter(object_type="rostering_shift", object_id=str(shift["id"]))
                         .values_list("action", flat=True))
    assert sorted(actions) == ["rostering.shift.create", "rostering.shift.update"]
    other = fresh.api_client("callsup").patch(f"/api/v1/sites/sunrise/rostering/shifts/{shift['id']}",
                                               json={"version": 2})
    assert other.status_code == 404


def test_roster_bounds_and_overlap(hotelsup):
    start = dt.date(2031, 3, 3)
    bad = hotelsup.post(f"{L}/rosters", json={"department": "housekeeping", "starts_on": "2031-03-03",
                                              "ends_on": "2031-03-02"})
    assert bad.status_code == 422 and fields_of(bad) == ["ends_on"]
    long = hotelsup.post(f"{L}/rosters", json={"department": "housekeeping", "starts_on": "2031-03-01",
                                               "ends_on": "2031-04-01"})
    assert long.status_code == 422 and fields_of(long) == ["ends_on"]
    make_roster(hotelsup, start, days=31)
    clash = hotelsup.post(f"{L}/rosters", json={"department": "housekeeping", "starts_on": "2031-03-30",
                                                "ends_on": "2031-04-05"})
    assert clash.status_code == 409 and fields_of(clash) == ["starts_on"]
    assert make_roster(hotelsup, start, department="cashier")["department"] == "cashier"
    assert make_roster(hotelsup, dt.date(2031, 4, 3))["status"] == "draft"


def test_duties_refused_with_the_field_named(fresh, hotelsup, user_ids):
    early = make_shift(hotelsup, code="E", start="07:00", end="15:00")
    middle = make_shift(hotelsup, code="M", start="11:00", end="19:00")
    night = make_shift(hotelsup, code="N", start="23:00", end="07:00")
    health = make_shift(hotelsup, code="K", start="16:00", end="20:00", required_certificates=["health"])
    desk = make_shift(hotelsup, department="front_desk", code="D", start="08:00", end="16:00")
    start = dt.date(2031, 5, 5)
    roster = make_roster(hotelsup, start)
    url = f"{L}/rosters/{roster['id']}/duties"
    hk = user_ids["housekeeper"]
    add_duty(hotelsup, roster, hk, early, start)

    def refused(user_id, shift, day, field):
        response = hotelsup.post(url, json={"user_id": user_id, "shift_id": shift["id"], "day": day.isoformat()})
        assert response.status_code == 422 and field in fields_of(response), response.text
        return response.json()

    assert "overlap" in refused(hk, middle, start, "user_id")["detail"]  # a person's duties overlap
    assert "rest" in refused(hk, night, start, "user_id")["detail"]  # 15:00 -> 23:00: 8 hours
    assert "certificate" in refused(hk, health, start + dt.timedelta(days=1), "user_id")["detail"]
    refused(user_ids["caller"], early, start + dt.timedelta(days=1), "user_id")  # a member of another site
    refused(99999, early, start, "user_id")
    refused(hk, early, start + dt.timedelta(days=7), "day")  # outside the roster
    refused(hk, desk, start + dt.timedelta(days=1), "shift_id")  # another department's shift
    hotelsup.patch(f"{L}/shifts/{early['id']}", json={"version": early["version"], "active": False})
    refused(user_ids["housekeeper2"], early, start + dt.timedelta(days=2), "shift_id")  # out of use
    bad_day = hotelsup.post(url, json={"user_id": hk, "shift_id": middle["id"], "day": "2031-02-30"})
    assert bad_day.status_code == 422 and "day" in fields_of(bad_day)
    assert fresh.api_client("housekeeper").post(url, json={"user_id": hk, "shift_id": middle["id"],
                                                           "day": "2031-05-06"}).status_code == 403
    detail = hotelsup.get(f"{L}/rosters/{roster['id']}").json()
    assert [(d["user_id"], d["shift_id"], d["day"]) for d in detail["duties"]] == [(hk, early["id"], "2031-05-05")]
    assert detail["duties"][0]["starts_at"] == "2031-05-04T23:00:00Z"  # 07:00 in Taipei


def test_publish_refused_under_minimum_then_published_and_edits_audited(fresh, hotelsup, user_ids):
    early = make_shift(hotelsup, code="E", start="07:00", end="15:00", min_staff=1)
    start = dt.date(2031, 6, 2)
    roster = make_roster(hotelsup, start, days=2)
    first = add_duty(hotelsup, roster, user_ids["housekeeper"], early, start)
    current = hotelsup.get(f"{L}/rosters/{roster['id']}").json()
    short = hotelsup.post(f"{L}/rosters/{roster['id']}/publish", json={"version": current["version"]})
    assert short.status_code == 409, short.text
    assert short.json()["shortfalls"] == [{"shift_id": early["id"], "shift": "E", "day": "2031-06-03", "count": 0,
                                           "minimum": 1}]
    assert "2031-06-03" in short.json()["errors"][0]["message"]
    add_duty(hotelsup, roster, user_ids["housekeeper2"], early, start + dt.timedelta(days=1))
    stale = hotelsup.post(f"{L}/rosters/{roster['id']}/publish", json={"version": current["version"]})
    assert stale.status_code == 409 and "current" in stale.json()  # the duties changed since it was read
    published = publish(hotelsup, roster["id"])
    assert published["status"] == "published" and published["published_by_id"] == user_ids["hotelsup"]
    again = hotelsup.post(f"{L}/rosters/{roster['id']}/publish", json={"version": published["version"]})
    assert again.status_code == 409
    # a published roster is still edited by its supervisor, each change audited
    assert hotelsup.delete(f"{L}/rosters/{roster['id']}/duties/{first['id']}").status_code == 204
    assert hotelsup.delete(f"{L}/rosters/{roster['id']}/duties/{first['id']}").status_code == 404
    actions = fresh.call(lambda: AuditEntry.filter(object_type="rostering_roster", object_id=str(roster["id"]))
                         .order_by("id").values_list("action", flat=True))
    assert actions == ["rostering.roster.create", "rostering.duty.add", "rostering.duty.add",
                       "rostering.roster.publish", "rostering.duty.remove"]


def test_copy_last_week_weekday_aligned_skipping_conflicts(fresh, hotelsup, user_ids):
    early = make_shift(hotelsup, code="E", start="07:00", end="15:00")
    monday = dt.date(2031, 7, 7)
    last_week = make_roster(hotelsup, monday - dt.timedelta(days=7))
    add_duty(hotelsup, last_week, user_ids["housekeeper"], early, monday - dt.timedelta(days=7))  # a Monday
    add_duty(hotelsup, last_week, user_ids["housekeeper2"], early, monday - dt.timedelta(days=5))  # a Wednesday
    # housekeeper2 is on approved leave on this Wednesday: that copy is skipped and reported
    from plugins.rostering.models import LeaveRequest

    async def leave():
        from core.entities.models import Site

        site = await Site.get(code="lotus")
        wednesday = monday + dt.timedelta(days=2)
        await LeaveRequest.create(site_id=site.id, user_id=user_ids["housekeeper2"], leave_type="annual",
                                  starts_on=wednesday, ends_on=wednesday, half_days=2, status="approved")

    fresh.call(leave)
    roster = make_roster(hotelsup, monday, days=14)
    copied = hotelsup.post(f"{L}/rosters/{roster['id']}/copy-previous")
    assert copied.status_code == 200, copied.text
    body = copied.json()
    assert body["copied"] == 3 and len(body["skipped"]) == 1
    assert body["skipped"][0]["day"] == "2031-07-09" and "leave" in body["skipped"][0]["reason"]
    duties = hotelsup.get(f"{L}/rosters/{roster['id']}").json()["duties"]
    assert sorted((d["day"], d["user_id"]) for d in duties) == [
        ("2031-07-07", user_ids["housekeeper"]), ("2031-07-14", user_ids["housekeeper"]),
        ("2031-07-16", user_ids["housekeeper2"])]
    assert {d["origin"] for d in duties} == {"copied"}
    # copying again adds nothing: every cell is already drawn (each reported)
    again = hotelsup.post(f"{L}/rosters/{roster['id']}/copy-previous").json()
    assert again["copied"] == 0 and len(again["skipped"]) == 4


def test_published_duties_and_drafts_hidden_from_staff(fresh, hotelsup, user_ids):
    early = make_shift(hotelsup, code="E", start="07:00", end="15:00")
    draft = make_roster(hotelsup, dt.date(2031, 8, 4))
    shown = make_roster(hotelsup, dt.date(2031, 8, 11))
    add_duty(hotelsup, draft, user_ids["housekeeper"], early, dt.date(2031, 8, 4))
    add_duty(hotelsup, shown, user_ids["housekeeper"], early, dt.date(2031, 8, 11))
    add_duty(hotelsup, shown, user_ids["housekeeper2"], early, dt.date(2031, 8, 12))
    publish(hotelsup, shown["id"])
    hk = fresh.api_client("housekeeper")
    seen = hk.get(f"{L}/duties").json()["items"]
    assert [d["day"] for d in seen] == ["2031-08-11", "2031-08-12"]
    assert len(hotelsup.get(f"{L}/duties").json()["items"]) == 3
    mine = hk.get(f"{L}/duties", params={"user_id": user_ids["housekeeper"], "from": "2031-08-01",
                                         "to": "2031-08-31"}).json()["items"]
    assert [d["day"] for d in mine] == ["2031-08-11"]
    backwards = hk.get(f"{L}/duties", params={"from": "2031-08-31", "to": "2031-08-01"})
    assert backwards.status_code == 422 and fields_of(backwards) == ["to"]
    assert hk.get(f"{L}/rosters/{draft['id']}").status_code == 404
    assert [r["id"] for r in hk.get(f"{L}/rosters").json()["items"]] == [shown["id"]]
    assert {r["id"] for r in hotelsup.get(f"{L}/rosters").json()["items"]} == {draft["id"], shown["id"]}


def test_on_duty_is_rostered_now_and_clocked_in(fresh, hotelsup, on_shift_now, user_ids):
    hk = hotelsup  # (a token for housekeeper would clock them in: clock-in on sign-in)
    before = hk.get(f"{L}/on-duty").json()
    people = before["departments"][0]["people"]
    assert before["departments"][0]["department"] == "housekeeping"
    assert [(p["user_id"], p["clocked_in"], p["on_duty"]) for p in people] == [(user_ids["housekeeper"], False,
                                                                                False)]
    clock_in(fresh, "housekeeper")
    after = hk.get(f"{L}/on-duty").json()["departments"][0]["people"][0]
    assert after["clocked_in"] and after["on_duty"] and after["shift_code"] == "NOW"
    far = hk.get(f"{L}/on-duty", params={"at": "2031-01-01T00:00:00Z"}).json()
    assert far["departments"] == []
    naive = hk.get(f"{L}/on-duty", params={"at": "2031-01-01T00:00:00"})
    assert naive.status_code == 422 and fields_of(naive) == ["at"]
