"""Complaint analysis (投訴分析): categories and causes as managed lists, and the report.

A complaint's ``category`` and ``cause`` are codes of the site's lists
``resident.complaint_category`` and ``resident.complaint_cause`` (``core.entities.code_lists``:
defaults declared here, each site adds, renames or deactivates its own). They are checked
when given at intake and by ``classify``; a complaint **closes only with both** (rule
``resident.complaint.classified_before_close``). The cause is asked for at close, not at
intake or at resolve: at intake nobody knows it yet, and an agent who fixed the problem
may learn why only later; the close (after a satisfied revisit) is the one step every
complaint passes where the whole story is known, so the report never counts a closed
complaint as "not given".

The report counts complaints received in the site's local days by category, cause,
building or unit, and the hot spots (熱點): the same unit and category, or building and
category, recurring at least twice in the period, counted by the database (GROUP BY ...
HAVING); only the groups cross to Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import local_day_bounds, local_today
from core.entities import code_lists
from core.entities.code_lists import Code, CodeList
from core.entities.models import Site, Unit
from core.exports import csv_text, xlsx_bytes
from core.i18n import N_
from core.i18n import gettext as _
from core.problems import Problem, invalid
from plugins.resident.models import Case

CATEGORIES = CodeList("resident.complaint_category", N_("Complaint categories"), (
    Code("noise", N_("Noise")),
    Code("water", N_("Water leak")),
    Code("parking", N_("Parking")),
    Code("cleaning", N_("Cleanliness")),
    Code("security", N_("Security")),
    Code("facilities", N_("Facilities and equipment")),
    Code("staff", N_("Staff attitude")),
    Code("fees", N_("Fees and charges")),
    Code("renovation", N_("Renovation")),
    Code("pets", N_("Pets")),
    Code("other", N_("Other")),
), description=N_("What a resident's complaint is about."))
CAUSES = CodeList("resident.complaint_cause", N_("Complaint causes"), (
    Code("equipment_failure", N_("Equipment failure")),
    Code("workmanship", N_("Workmanship")),
    Code("neighbour", N_("Neighbour")),
    Code("management", N_("Management")),
    Code("staff", N_("Staff")),
    Code("third_party", N_("Third party")),
    Code("resident", N_("The resident's own use")),
    Code("other", N_("Other")),
), description=N_("Why it happened, found when the complaint is handled."))
LISTS = [CATEGORIES, CAUSES]

RULE_CLASSIFIED_BEFORE_CLOSE = "resident.complaint.classified_before_close"
GROUPS = ("category", "cause", "building", "unit")
#: The longest period the report covers, in days.
MAX_DAYS = 366
#: A hot spot recurs at least this often in the period.
HOTSPOT_MIN = 2
#: Hot spots listed, most recurring first.
HOTSPOT_LIMIT = 50


# --- codes on cases -------------------------------------------------------------------


async def check_codes(site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """The complaint's ``category`` and ``cause`` given in ``data``, each an active code of
    the site's list (422 naming the field); blank ones are None."""
    checked: dict[str, Any] = {}
    for name, code_list in (("category", CATEGORIES), ("cause", CAUSES)):
        code = (data.get(name) or "").strip()
        checked[name] = await code_lists.check(site, code_list, code, name) if code else None
    return checked


def classification_out(case: Case) -> dict[str, Any]:
    return {"category": case.category or None, "cause": case.cause}


async def classify(site: Site, case: Case, data: dict[str, Any], *, actor: Actor) -> Case:
    """Set a complaint's category and cause (each an active code; a field not given stays)."""
    if case.kind != "complaint":
        raise Problem(409, _("Only a complaint takes a category and a cause from the site's lists."))
    given = {name: value for name, value in data.items() if name in ("category", "cause") and value is not None}
    if not given:
        raise invalid("cause", _("Choose a category or a cause."))
    checked = await check_codes(site, given)
    changes = {name: checked[name] for name in given if checked[name] is not None}
    if not changes:
        raise invalid(next(iter(given)), _("Choose a code from the list."))
    async with in_transaction():
        before = classification_out(case)
        await Case.filter(id=case.id).update(**changes)
        await case.refresh_from_db()
        await audit.record("resident.case.classify", actor=actor.user, site_id=site.id, object_type="resident.case",
                           object_id=case.id, before=before, after=classification_out(case),
                           client_address=actor.client_address)
    return case


def close_refusal(case: Case | None) -> str | None:
    """Why a complaint may not close yet (a category and a cause), or None."""
    if case is None or (case.category and case.cause):
        return None
    return _("Rule %(rule)s: a complaint closes only with its category and cause from the site's lists.",
             rule=RULE_CLASSIFIED_BEFORE_CLOSE)


# --- the report -----------------------------------------------------------------------


def period(site: Site, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The site's local days asked for, the month so far by default; 422 naming the field."""
    end = end or local_today(site)
    start = start or end.replace(day=1)
    if end < start:
        raise invalid("to", _("The end is before the start."))
    if (end - start).days >= MAX_DAYS:
        raise invalid("from", _("A period is at most a year."))
    return start, end


def _complaints(site: Site, low: dt.datetime, high: dt.datetime):
    # Merged complaints were counted in the one they joined (as the KPIs do).
    return Case.filter(site_id=site.id, kind="complaint", merged_into_id=None, created_at__gte=low,
                       created_at__lt=high)


async def _grouped(query, columns: tuple[str, ...], having: int = 0, limit: int | None = None) -> list[dict]:
    query = query.annotate(count=Count("id")).group_by(*columns)
    if having:
        query = query.filter(count__gte=having)
    query = query.order_by("-count", *columns)
    if limit:
        query = query.limit(limit)
    return [dict(row) for row in await query.values(*columns, "count")]


async def analysis(site: Site, start: dt.date, end: dt.date, group: str = "category") -> dict[str, Any]:
    """Complaints received from ``start`` to ``end`` (the site's local days, inclusive):
    the count per ``group`` (category, cause, building or unit) and the hot spots."""
    if group not in GROUPS:
        raise invalid("group", _("Use one of: %(values)s.", values=", ".join(GROUPS)))
    low, high = local_day_bounds(site, start, (end - start).days + 1)
    query = _complaints(site, low, high)
    category_labels = await code_lists.labels(site, CATEGORIES)
    not_given = _("Not given")
    column = {"category": "category", "cause": "cause", "building": "unit__building", "unit": "unit_id"}[group]
    rows = await _grouped(query, (column,))
    units: dict[int, Unit] = {}
    unit_ids = {row["unit_id"] for row in rows} if group == "unit" else set()
    # A complaint not yet classified is no known issue recurring: hot spots need a category.
    classified = query.exclude(category="")
    hotspot_rows = await _grouped(classified, ("unit_id", "category"), HOTSPOT_MIN, HOTSPOT_LIMIT)
    building_rows = await _grouped(classified, ("unit__building", "category"), HOTSPOT_MIN, HOTSPOT_LIMIT)
    unit_ids |= {row["unit_id"] for row in hotspot_rows}
    if unit_ids:
        units = {unit.id: unit for unit in await Unit.filter(id__in=sorted(unit_ids))}
    labels = (category_labels if group == "category" else await code_lists.labels(site, CAUSES)
              if group == "cause" else {})

    def shown(key: Any) -> str:
        if key in (None, ""):
            return not_given
        if group == "unit":
            return units[key].code if key in units else str(key)
        return labels.get(key, str(key))

    groups = [{"key": None if row[column] in (None, "") else str(row[column]), "label": shown(row[column]),
               "count": int(row["count"])} for row in rows]
    hotspots = [{
        "unit_id": row["unit_id"], "unit_code": units[row["unit_id"]].code if row["unit_id"] in units else "",
        "building": units[row["unit_id"]].building if row["unit_id"] in units else "",
        "category": row["category"] or None,
        "category_label": category_labels.get(row["category"], row["category"]) if row["category"] else not_given,
        "count": int(row["count"])} for row in hotspot_rows]
    building_hotspots = [{
        "building": row["unit__building"] or "", "category": row["category"] or None,
        "category_label": category_labels.get(row["category"], row["category"]) if row["category"] else not_given,
        "count": int(row["count"])} for row in building_rows]
    return {"from": start.isoformat(), "to": end.isoformat(), "group": group,
            "total": sum(item["count"] for item in groups), "groups": groups, "hotspots": hotspots,
            "building_hotspots": building_hotspots}


GROUP_LABELS = {"category": N_("Category"), "cause": N_("Cause"), "building": N_("Building"), "unit": N_("Unit")}


def _sheets(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    group = _(GROUP_LABELS[data["group"]])
    return [
        (_("Complaints by %(group)s", group=group.lower()), [group, _("Code"), _("Complaints")],
         [[item["label"], item["key"] or "", item["count"]] for item in data["groups"]]
         + [[_("Total"), "", data["total"]]]),
        (_("Hot spots by unit"), [_("Unit"), _("Building"), _("Category"), _("Complaints")],
         [[item["unit_code"], item["building"], item["category_label"], item["count"]] for item in data["hotspots"]]),
        (_("Hot spots by building"), [_("Building"), _("Category"), _("Complaints")],
         [[item["building"], item["category_label"], item["count"]] for item in data["building_hotspots"]]),
    ]


def analysis_csv(data: dict[str, Any]) -> str:
    """One CSV: the period, then each table under its title, a blank line between."""
    rows: list[list[Any]] = [[_("From"), data["from"], _("To"), data["to"]]]
    for title, headers, body in _sheets(data):
        rows += [[], [title], headers, *body]
    return csv_text(rows)


def analysis_xlsx(data: dict[str, Any]) -> bytes:
    return xlsx_bytes(_sheets(data))
