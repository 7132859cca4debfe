"""``core.rows.fetch``: plain rows that hold exactly what the models hold, on both databases
(it reaches into Tortoise's query builder, so an upgrade that changes it fails here)."""

from __future__ import annotations

import datetime as dt

from core.clock import rfc3339
from core.entities.models import Site, Unit
from core.rows import fetch
from core.tasks.models import Task
from core.tasks.services import TASK_COLUMNS, task_out


def test_rows_hold_what_the_models_hold(demo_server):
    async def compare():
        tasks = Task.filter(site__code="harbour").order_by("-id")
        models = await tasks
        rows = await fetch(tasks, *TASK_COLUMNS)
        assert len(rows) == len(models) > 5
        for model, row in zip(models, rows, strict=True):
            for name in TASK_COLUMNS:
                assert row[name] == getattr(model, name), name
                assert type(row[name]) is type(getattr(model, name)), name
            assert task_out(row) == task_out(model)
        # Booleans, JSON and related columns, and timezone-aware datetimes in UTC.
        sites = await fetch(Site.all().order_by("id"), "id", "code", "settings", "created_at")
        for site, row in zip(await Site.all().order_by("id"), sites, strict=True):
            assert row["settings"] == site.settings and row["created_at"] == site.created_at
            assert row["created_at"].utcoffset() == dt.timedelta(0)
        units = await fetch(Unit.filter(site__code="harbour").order_by("id"), "id", "site__code", "code")
        assert units and all(row["site__code"] == "harbour" for row in units)
        flags = await fetch(Task.filter(site__code="harbour"), "is_open", "overdue")
        assert {type(row["is_open"]) for row in flags} == {bool}
        return True

    assert demo_server.call(compare)


def test_rfc3339_is_utc_whole_seconds():
    taipei = dt.timezone(dt.timedelta(hours=8))
    assert rfc3339(dt.datetime(2026, 11, 30, 8, 5, 9, 999999, tzinfo=taipei)) == "2026-11-30T00:05:09Z"
    assert rfc3339(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)) == "2026-01-01T00:00:00Z"
    assert rfc3339(None) is None


def test_a_page_by_equality_is_the_querysets_page(demo_server):
    import pytest

    from core.rows import page

    async def compare():
        site = await Site.get(code="harbour")
        other = await Site.get(code="lotus")
        everything = await Task.filter(site_id=site.id).order_by("-id").values_list("id", flat=True)
        first = await page(Task, TASK_COLUMNS, site_id=site.id, equal={}, limit=3, descending=True)
        assert [row["id"] for row in first] == everything[:3]
        after = await page(Task, TASK_COLUMNS, site_id=site.id, equal={}, limit=3, after=first[-1]["id"],
                           descending=True)
        assert [row["id"] for row in after] == everything[3:6]
        for equal in ({"is_open": True}, {"is_open": False, "overdue": False}, {"status": "open"}):
            expected = await Task.filter(site_id=site.id, **equal).order_by("id").values_list("id", flat=True)
            rows = await page(Task, TASK_COLUMNS, site_id=site.id, equal=equal, limit=1000)
            assert [row["id"] for row in rows] == expected
        models = {task.id: task for task in await Task.filter(site_id=site.id)}
        assert all(task_out(row) == task_out(models[row["id"]]) for row in first + after)
        # The site is always part of the query: another site's rows never come back.
        assert not {row["id"] for row in await page(Task, ("id",), site_id=other.id, equal={}, limit=1000)} & set(models)
        with pytest.raises(ValueError):
            await page(Task, ("id",), site_id=site.id, equal={"title; DROP TABLE core_task": 1}, limit=1)
        return True

    assert demo_server.call(compare)
