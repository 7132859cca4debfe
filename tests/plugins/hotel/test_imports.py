"""hotel.rooms on core.imports: dry run, import, errors by row and column, round trip."""

import pytest

from core.actors import Actor
from core.audit.models import AuditEntry
from core.entities.models import Site, Unit
from core.identity.models import User
from core.identity.services import permissions_at
from core.imports import services as imports
from core.problems import Problem
from plugins.hotel.models import Room, RoomEvent

KEY = "hotel.rooms"
#: Chinese headers (zh-Hant) and status words as a front office's own sheet has them.
SHEET = "房號,樓層,房型,區域,住房狀態,房務狀態,服務狀態\n2001,20,Double,C,空房,乾淨,可售\n2002,20,Twin,C,,,\n"


async def as_user(username, site_code):
    user, site = await User.get(username=username), await Site.get(code=site_code)
    granted = await permissions_at(user, site.id)
    return site, Actor(user, site, granted, permissions_by_site={site.id: granted})


def run(server, data, *, dry_run, username="hotelsup", site="lotus"):
    async def go():
        where, actor = await as_user(username, site)
        return await imports.run_import(server.app.state.host, KEY, where, data, actor=actor, dry_run=dry_run)
    return server.call(go)


def count(server, model, **filters):
    return server.call(lambda: model.filter(**filters).count())


def test_a_dry_run_reports_and_writes_nothing_then_the_import_writes_rooms_units_events_and_audit(demo_server):
    before = count(demo_server, Room)
    dry = run(demo_server, SHEET.encode("cp950"), dry_run=True)
    assert dry.rows == 2 and dry.errors == [] and dry.encoding == "big5" and not dry.applied
    assert count(demo_server, Room) == before
    done = run(demo_server, SHEET.encode("utf-8"), dry_run=False)
    assert done.applied and done.created == 2
    rooms = demo_server.call(lambda: Room.filter(number__in=["2001", "2002"]).order_by("number").values())
    assert [(r["floor"], r["housekeeping"], r["service"], r["code"]) for r in rooms] == [
        (20, "clean", "in_service", "VC"), (20, "dirty", "in_service", "VD")]
    assert all(room["unit_id"] for room in rooms)
    assert count(demo_server, Unit, code__in=["2001", "2002"], kind="room") == 2
    assert count(demo_server, RoomEvent, room_id__in=[r["id"] for r in rooms], kind="imported") == 2
    assert count(demo_server, AuditEntry, action="hotel.room.create", object_id__in=[str(r["id"]) for r in rooms]) == 2
    assert count(demo_server, AuditEntry, action="import.hotel.rooms") == 1


def test_every_bad_row_is_named_by_row_and_column_and_nothing_is_written(demo_server):
    before = count(demo_server, Room)
    bad = ("number,floor,room_type,housekeeping\n2101,21,Double,\n2101,21,Twin,\n201,2,X,\nbad room,21,X,\n"
           "2104,floor,X,\n2105,21,X,sparkling\n")
    report = run(demo_server, bad.encode(), dry_run=True)
    assert {(e["row"], e["column"]) for e in report.errors} == {
        (3, "number"), (4, "number"), (5, "number"), (6, "floor"), (7, "housekeeping")}
    assert "also on line 2" in next(e["message"] for e in report.errors if e["row"] == 3)
    assert "already exists" in next(e["message"] for e in report.errors if e["row"] == 4)
    for data in (bad, "number,floor\n2101,21\n2102,21\n201,2\n"):  # a cell, or only the database, says no
        with pytest.raises(Problem) as refused:
            run(demo_server, data.encode(), dry_run=False)
        assert refused.value.status == 422 and refused.value.errors
    assert count(demo_server, Room) == before and count(demo_server, Unit, code="2101") == 0


def test_a_desk_without_the_permission_cannot_import(demo_server):
    with pytest.raises(Problem) as refused:
        run(demo_server, SHEET.encode(), dry_run=True, username="frontdesk")
    assert refused.value.status in (403, 404)  # core's answer to a member without the permission


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imported_into_an_empty_hotel_gives_the_same_rooms(demo_server, file_format):
    host = demo_server.app.state.host

    async def round_trip():
        lotus, actor = await as_user("hotelsup", "lotus")
        data, _name = await imports.export_file(host, KEY, lotus, file_format, actor=actor)
        empty = await Site.create(code=f"new{file_format}", name="New hotel", kind="hotel")
        system = Actor(None, empty)
        done = await imports.run_import(host, KEY, empty, data, actor=system, dry_run=False)
        _importer, _headers, first = await imports.export_rows(host, KEY, lotus, actor=actor)
        _importer, _headers, second = await imports.export_rows(host, KEY, empty, actor=system)
        return done, first, second

    done, first, second = demo_server.call(round_trip)
    assert done.created == len(first) >= 160 and second == first


def test_rooms_imported_through_the_api_show_on_the_next_board(demo_server):
    sup, desk = demo_server.api_client("hotelsup"), demo_server.api_client("frontdesk")
    board = "/api/v1/sites/lotus/hotel/board"
    before = {room["number"] for room in desk.get(board).json()["rooms"]}  # the board is cached now
    url = "/api/v1/sites/lotus/imports/hotel.rooms"
    sheet = b"Room number,Floor\n2201,22\n2202,22\n"
    dry = sup.post(url, params={"dry_run": "true"}, files={"file": ("rooms.csv", sheet, "text/csv")})
    assert dry.status_code == 200 and dry.json()["errors"] == []
    done = sup.post(url, files={"file": ("rooms.csv", sheet, "text/csv")})
    assert done.status_code in (200, 201) and done.json()["created"] == 2
    assert {room["number"] for room in desk.get(board).json()["rooms"]} == before | {"2201", "2202"}
    exported = sup.get("/api/v1/sites/lotus/exports/hotel.rooms.csv")
    assert exported.status_code == 200 and "2201,22" in exported.text


def _refusing_rooms_plugin():
    """An importer that writes rooms with hotel's own ``write`` (which announces them) and
    then refuses, as a race found in the same transaction would: the import is undone."""
    import types

    from core import PluginMeta, hookimpl
    from core.imports import Importer, ImportRefused, RowError
    from plugins.hotel import importers

    async def write(rows, context):
        await importers.write(rows, context)
        raise ImportRefused([RowError(rows[-1].number, "number", "raced")])

    refusing = Importer("undone.rooms", "Undone", "hotel.room.edit", importers.ROOMS.columns, write=write,
                        export=importers.export)
    module = types.ModuleType("undone_rooms_plugin")
    module.meta = PluginMeta(name="undone", version="1.0", core_requires=">=0.1")
    module.register_importers = hookimpl(lambda: [refusing])
    module.register_importers.__name__ = "register_importers"
    return module


def test_rooms_are_announced_only_after_the_import_commits(make_demo_app):
    from plugins.hotel.rooms import ROOMS_ADDED

    server = make_demo_app(extra_plugins=[_refusing_rooms_plugin()])
    bus = server.app.state.events

    async def scenario():
        where, actor = await as_user("hotelsup", "lotus")
        subscription = bus.subscribe(where.id, {"hotel.room.read"})
        heard = []

        async def attempt(key, sheet, dry_run=False):
            try:
                await imports.run_import(server.app.state.host, key, where, sheet, actor=actor, dry_run=dry_run,
                                         app=server.app)
            except Problem:
                pass
            while not subscription.queue.empty():
                event = subscription.queue.get_nowait()
                heard.append((event.name, event.data.get("count")))
            return list(heard)
        try:
            undone = await attempt("undone.rooms", b"Room number,Floor\n2301,23\n")
            dry = await attempt(KEY, b"Room number,Floor\n2302,23\n", dry_run=True)
            done = await attempt(KEY, b"Room number,Floor\n2303,23\n2304,23\n")
        finally:
            bus.unsubscribe(subscription)
        return undone, dry, done, await Room.filter(site__code="lotus", number__in=["2301", "2302"]).exists()

    undone, dry, done, stored = server.call(scenario)
    assert undone == [] and dry == [] and not stored
    assert done == [(ROOMS_ADDED, 2)]


def test_the_rooms_upload_form_takes_big5_gb18030_and_xlsx_files(demo_server):
    from core.exports import xlsx_bytes

    sup = demo_server.sign_in("hotelsup")
    url = "/sites/lotus/hotel/import"
    big5 = "房號,樓層,房型\n2401,24,雙人房\n".encode("cp950")
    gb = "房号,楼层,房型\n2402,24,双人房\n".encode("gb18030")
    xlsx = xlsx_bytes([("r", ["number", "floor"], [["2403", 24]])])
    for name, data in (("r.csv", big5), ("r.csv", gb), ("r.xlsx", xlsx)):
        done = sup.post(url, data={"csrf_token": sup.csrf, "apply": "1"}, files={"file": (name, data, "text/csv")})
        assert done.status_code == 200, done.text
    types = dict(demo_server.call(lambda: Room.filter(site__code="lotus", number__in=["2401", "2402", "2403"])
                                  .values_list("number", "room_type")))
    assert types == {"2401": "雙人房", "2402": "双人房", "2403": ""}
    # a file that is no spreadsheet is refused on the form, not a 500
    refused = sup.post(url, data={"csrf_token": sup.csrf}, files={"file": ("r.png", b"\x89PNG\r\n\x1a\n\x00\x00", "x")})
    assert refused.status_code == 422
