"""Households: members per unit, the older CSV import (on ``resident.households``), the unit timeline."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import local_today, rfc3339, utcnow
from core.entities.models import Party, Site, Unit
from core.entities.privacy import mask_phone, normalise_phone
from core.i18n import gettext as _
from core.imports import readers
from core.imports import services as imports
from core.money import format_money
from core.tasks.models import Task
from core.problems import Problem, invalid
from core.rows import fetch as rows_of
from plugins.resident.models import (RELATIONS, Bill, Case, Household, HouseholdChange, Member, Payment, Procedure,
                                     ProcedureDocument, Revisit)

PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,30}$")
#: The importer the older CSV endpoint runs (``plugins.resident.importers``).
IMPORTER = "resident.households"


#: The columns ``household_out`` reads of a household and of each member: the list fetches
#: exactly these as plain rows (``core.rows``), the members of a whole page in one query.
HOUSEHOLD_COLUMNS = ("id", "unit_id", "important", "area", "notes", "version")
MEMBER_COLUMNS = ("id", "household_id", "name", "relation", "party_id", "phone")


def _row(record: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return record if isinstance(record, dict) else {name: getattr(record, name) for name in columns}


def household_out(household: Household | dict[str, Any], members: list[Member] | list[dict[str, Any]],
                  show_phones: bool = True) -> dict[str, Any]:
    """A household and its members (models, or plain rows of the columns above); members'
    phone numbers masked unless ``show_phones``."""
    row = _row(household, HOUSEHOLD_COLUMNS)
    people = [_row(member, MEMBER_COLUMNS) for member in members]
    return {
        "id": row["id"], "unit_id": row["unit_id"], "important": row["important"],
        "area": f"{row['area']:.2f}", "notes": row["notes"], "version": row["version"],
        "members": [{"id": m["id"], "name": m["name"], "relation": m["relation"], "party_id": m["party_id"],
                     "phone": m["phone"] if show_phones else mask_phone(m["phone"])} for m in people],
    }


async def households_out(households: list[dict[str, Any]], show_phones: bool) -> list[dict[str, Any]]:
    """Rows of ``HOUSEHOLD_COLUMNS`` with their members, read in one query for all of them
    (not one per household)."""
    members: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in households}
    if members:
        for member in await rows_of(Member.filter(household_id__in=list(members)).order_by("id"), *MEMBER_COLUMNS):
            members[member["household_id"]].append(member)
    return [household_out(row, members[row["id"]], show_phones) for row in households]


async def _check_member(site: Site, member: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """One member's fields checked (errors name ``<prefix><field>``): a party of this site
    or a name, a known relation, a phone number that looks like one (kept normalised)."""
    name = (member.get("name") or "").strip()
    party_id = member.get("party_id")
    if party_id is not None:
        party = await Party.get_or_none(id=party_id, site_id=site.id)
        if party is None:
            raise invalid(f"{prefix}party_id", _("No party %(id)s at this site.", id=party_id))
        name = name or party.name
    if not name:
        raise invalid(f"{prefix}name", _("Give a name or a party_id."))
    if member.get("relation") not in RELATIONS:
        raise invalid(f"{prefix}relation", _("Use one of: %(values)s.", values=", ".join(RELATIONS)))
    phone = (member.get("phone") or "").strip()
    if phone and not PHONE.match(phone):
        raise invalid(f"{prefix}phone", _("This does not look like a phone number."))
    return {"name": name[:200], "relation": member["relation"], "party_id": party_id,
            "phone": normalise_phone(phone) if phone else ""}


async def _check_members(site: Site, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [await _check_member(site, member, f"members.{index}.") for index, member in enumerate(members)]


async def create_household(site: Site, data: dict[str, Any], actor: Actor) -> Household:
    unit = await Unit.get_or_none(id=data["unit_id"], site_id=site.id)
    if unit is None:
        raise invalid("unit_id", _("No unit %(id)s at this site.", id=data["unit_id"]))
    if await Household.filter(unit_id=unit.id).exists():
        raise Problem(409, _("Unit %(code)s has a household already.", code=unit.code))
    members = await _check_members(site, data.get("members") or [])
    async with in_transaction():
        household = await Household.create(site_id=site.id, unit_id=unit.id, important=bool(data.get("important")),
                                           area=Decimal(str(data.get("area") or "0")), notes=data.get("notes") or "")
        for member in members:
            await Member.create(household=household, **member)
        await audit.record("resident.household.create", actor=actor.user, site_id=site.id,
                           object_type="resident.household", object_id=household.id,
                           after={"unit_id": unit.id, "members": [m["name"] for m in members]},
                           client_address=actor.client_address)
    return household


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text or "0")
    except InvalidOperation:
        return None
    return value if value >= 0 and value == value.quantize(Decimal("0.01")) and value < Decimal("100000000") else None


async def import_csv(host, site: Site, file: str | bytes, actor: Actor, dry_run: bool = False) -> dict[str, Any]:
    """The older CSV endpoint and upload form: the ``resident.households`` importer (one
    member a row; rows of one unit form its household), reported as they always did.
    ``file`` is the API's CSV text, or an uploaded file's bytes (CSV in UTF-8, Big5 or
    GB18030, or XLSX: whatever core reads).

    Every row is checked first; if any is bad, nothing is written and the 422 lists each
    bad row with its field and message (``row N: field``), in a dry run too.
    """
    data, encoding = (file.encode("utf-8"), "utf-8") if isinstance(file, str) else (file, None)
    try:
        report = await imports.run_import(host, IMPORTER, site, data, actor=actor, dry_run=True, encoding=encoding)
        keys = {header: key for key, header in report.columns.items()}
        errors = [{"row": e["row"], "field": keys.get(e["column"], e["column"]), "message": e["message"]}
                  for e in report.errors]
        encoding = report.encoding or None  # as read (an XLSX has none)
        if not errors and not dry_run:
            report = await imports.run_import(host, IMPORTER, site, data, actor=actor, dry_run=False,
                                              encoding=encoding)
    except Problem as problem:
        if problem.errors and all(error.get("field") == "file" for error in problem.errors):
            raise invalid("csv", problem.detail) from None
        raise
    sheet = readers.read(data, encoding=encoding, max_rows=imports.MAX_ROWS, score_header=lambda header: 0)
    unit_at = sheet.header.index(report.columns["unit_code"])
    name_at = sheet.header.index(report.columns["name"]) if "name" in report.columns else None
    lines = [cells for cells in sheet.rows if any(cells)]
    result = {"rows": report.rows, "households": len({cells[unit_at] for cells in lines if unit_at < len(cells)}),
              "members": sum(1 for cells in lines if name_at is not None and name_at < len(cells) and cells[name_at]),
              "errors": errors, "dry_run": dry_run, "created": report.created}
    if errors:
        raise Problem(422, _("%(count)s rows have errors; nothing was imported.", count=len({e["row"] for e in errors})),
                      errors=[{"field": f"row {e['row']}: {e['field']}", "message": e["message"]} for e in errors],
                      report=result)
    return result


# --- households that change: owner and tenant changes, family members, details -------------

#: The relations an occupant change replaces (family members change one by one).
OCCUPANT_RELATIONS = ("owner", "tenant")
#: The household's own fields a details change may set.
DETAIL_FIELDS = ("important", "area", "notes")
MAX_MEMBERS = 30
PERSON_KEYS = ("id", "name", "relation", "party_id", "phone")


def person(member: Member) -> dict[str, Any]:
    """A member as a change keeps them (their id, name, relation, party and phone)."""
    return {"id": member.id, "name": member.name, "relation": member.relation, "party_id": member.party_id,
            "phone": member.phone}


def _people_out(people: list[dict[str, Any]], show_phones: bool) -> list[dict[str, Any]]:
    return [{**{key: item.get(key) for key in PERSON_KEYS},
             "phone": (item.get("phone") or "") if show_phones else mask_phone(item.get("phone") or "")}
            for item in people]


def change_out(change: HouseholdChange, show_phones: bool = True) -> dict[str, Any]:
    """One entry of a household's history; people's phones masked unless ``show_phones``."""
    return {"id": change.id, "household_id": change.household_id, "kind": change.kind, "relation": change.relation,
            "before": _people_out(change.before or [], show_phones), "after": _people_out(change.after or [], show_phones),
            "details": {name: {"before": pair[0], "after": pair[1]} for name, pair in (change.details or {}).items()},
            "effective_date": change.effective_date.isoformat() if change.effective_date else None,
            "note": change.note, "recorded_by_id": change.recorded_by_id, "recorded_at": rfc3339(change.recorded_at)}


def _stale(household: Household) -> Problem:
    return Problem(409, _("Someone changed this household since you read it. Reload and try again."),
                   current={"id": household.id, "version": household.version})


async def _bump(household: Household, version: int, **changes: Any) -> None:
    """Inside the change's transaction: the household's version moves on, or 409 when
    ``version`` is not the one stored (the update is conditional on it, so two editors of
    the same version cannot both win)."""
    if version != household.version:
        raise _stale(household)
    updated = await Household.filter(id=household.id, version=version).update(
        version=version + 1, updated_at=utcnow(), **changes)
    if not updated:
        await household.refresh_from_db()
        raise _stale(household)


async def _history(site: Site, household: Household, kind: str, actor: Actor, **fields: Any) -> HouseholdChange:
    return await HouseholdChange.create(site_id=site.id, household_id=household.id, kind=kind,
                                        recorded_by_id=actor.user_id, **fields)


async def change_occupant(site: Site, household: Household, data: dict[str, Any], actor: Actor) -> Household:
    """An owner or tenant change: the members of that relation leave (and the family too
    when ``replace_family``), the new owner or tenant joins, on ``effective_date``.

    The date is the site's date the change took effect; one before the household's last
    owner or tenant change is a 422 naming ``effective_date``. A tenant may leave with no
    one after them (no name); an owner is always named. A new owner is not an important
    owner until someone marks them so: the mark goes with the owner who had it.
    """
    relation = data.get("relation")
    if relation not in OCCUPANT_RELATIONS:
        raise invalid("relation", _("Use one of: %(values)s.", values=", ".join(OCCUPANT_RELATIONS)))
    effective = data.get("effective_date")
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError:
            raise invalid("effective_date", _("Give the date as YYYY-MM-DD.")) from None
    if not isinstance(effective, dt.date):
        raise invalid("effective_date", _("Give the date the change took effect."))
    # A change is recorded once it took effect: a mistyped future date (2099) would hold
    # every later change behind it, since none may be dated before the last one.
    today = local_today(site)
    if effective > today:
        raise invalid("effective_date", _("Date the change on or before today (%(date)s at the site).",
                                          date=today.isoformat()))
    incoming = None
    if (data.get("name") or "").strip() or data.get("party_id") is not None or (data.get("phone") or "").strip():
        incoming = await _check_member(site, {**data, "relation": relation})
    elif relation == "owner":
        raise invalid("name", _("Name the new owner."))
    leaving_relations = [relation, "family"] if data.get("replace_family") else [relation]
    note = (data.get("note") or "").strip()[:2000]
    async with in_transaction():
        details = {}
        if relation == "owner" and household.important:
            details = {"important": [True, False]}
        await _bump(household, data["version"], **({"important": False} if details else {}))
        last = await (HouseholdChange.filter(household_id=household.id, kind="occupant")
                      .order_by("-effective_date").limit(1).values_list("effective_date", flat=True))
        if last and effective < last[0]:
            raise invalid("effective_date", _("The household's last owner or tenant change took effect on %(date)s; "
                                              "date this one on or after it.", date=last[0].isoformat()))
        leaving = await Member.filter(household_id=household.id, relation__in=leaving_relations).order_by("id")
        if not leaving and incoming is None:
            raise invalid("name", _("This household has no tenant to move out: name the new tenant."))
        await Member.filter(id__in=[m.id for m in leaving]).delete()
        arrived = [await Member.create(household_id=household.id, **incoming)] if incoming else []
        change = await _history(site, household, "occupant", actor, relation=relation,
                                before=[person(m) for m in leaving], after=[person(m) for m in arrived],
                                details=details, effective_date=effective, note=note)
        await audit.record("resident.household.occupant", actor=actor.user, site_id=site.id,
                           object_type="resident.household", object_id=household.id,
                           before={"members": [m.name for m in leaving], **({"important": True} if details else {})},
                           after={"relation": relation, "members": [m.name for m in arrived],
                                  "effective_date": effective.isoformat(), "change_id": change.id},
                           client_address=actor.client_address)
    await household.refresh_from_db()
    return household


async def add_member(site: Site, household: Household, data: dict[str, Any], actor: Actor) -> Household:
    """A family member joins (owners and tenants change through ``change_occupant``)."""
    member = await _check_member(site, {**data, "relation": "family"})
    async with in_transaction():
        await _bump(household, data["version"])
        if await Member.filter(household_id=household.id).count() >= MAX_MEMBERS:
            raise Problem(409, _("A household has at most %(count)s members.", count=MAX_MEMBERS))
        created = await Member.create(household_id=household.id, **member)
        await _history(site, household, "member_added", actor, relation="family", after=[person(created)])
        await audit.record("resident.household.member_add", actor=actor.user, site_id=site.id,
                           object_type="resident.household", object_id=household.id,
                           after={"member_id": created.id, "name": created.name}, client_address=actor.client_address)
    await household.refresh_from_db()
    return household


async def change_member(site: Site, household: Household, member: Member, data: dict[str, Any],
                        actor: Actor) -> Household:
    """A member's name or phone corrected (None: unchanged; an empty phone: none)."""
    name = member.name if data.get("name") is None else data["name"].strip()
    if not name:
        raise invalid("name", _("This field is required."))
    phone = member.phone if data.get("phone") is None else data["phone"].strip()
    if phone and phone != member.phone and not PHONE.match(phone):
        raise invalid("phone", _("This does not look like a phone number."))
    phone = normalise_phone(phone) if phone else ""
    before = person(member)
    changed = [key for key, value in (("name", name[:200]), ("phone", phone)) if before[key] != value]
    if not changed:
        if data["version"] != household.version:
            raise _stale(household)
        return household
    async with in_transaction():
        await _bump(household, data["version"])
        if changed:
            member.name, member.phone = name[:200], phone
            await member.save(update_fields=["name", "phone"])
            await _history(site, household, "member_changed", actor, relation=member.relation, before=[before],
                           after=[person(member)])
            await audit.record("resident.household.member_change", actor=actor.user, site_id=site.id,
                               object_type="resident.household", object_id=household.id,
                               after={"member_id": member.id, "changed": changed}, client_address=actor.client_address)
    await household.refresh_from_db()
    return household


async def remove_member(site: Site, household: Household, member: Member, version: int, actor: Actor) -> Household:
    """A family member leaves; an owner or tenant leaves only through an occupant change."""
    if member.relation != "family":
        raise Problem(409, _("An owner or tenant leaves through an owner or tenant change, with the date it takes effect."),
                      rule="resident.household.occupant_change")
    async with in_transaction():
        await _bump(household, version)
        await Member.filter(id=member.id).delete()
        await _history(site, household, "member_removed", actor, relation=member.relation, before=[person(member)])
        await audit.record("resident.household.member_remove", actor=actor.user, site_id=site.id,
                           object_type="resident.household", object_id=household.id,
                           before={"member_id": member.id, "name": member.name}, client_address=actor.client_address)
    await household.refresh_from_db()
    return household


async def change_details(site: Site, household: Household, data: dict[str, Any], actor: Actor) -> Household:
    """The important-owner mark, the area and the notes; a field left out (None) stays."""
    wanted: dict[str, Any] = {}
    if data.get("important") is not None:
        wanted["important"] = bool(data["important"])
    if data.get("area") is not None:
        area = _decimal(str(data["area"]))
        if area is None:
            raise invalid("area", _("Enter an area such as 85.50."))
        wanted["area"] = area
    if data.get("notes") is not None:
        wanted["notes"] = str(data["notes"])[:2000]
    changes = {name: value for name, value in wanted.items() if getattr(household, name) != value}
    shown = {name: (f"{value:.2f}" if name == "area" else value) for name, value in changes.items()}
    if not changes:  # nothing to write: the version is still checked
        if data["version"] != household.version:
            raise _stale(household)
        return household
    async with in_transaction():
        await _bump(household, data["version"], **changes)
        if changes:
            before = {name: (f"{getattr(household, name):.2f}" if name == "area" else getattr(household, name))
                      for name in changes}
            await _history(site, household, "details", actor,
                           details={name: [before[name], shown[name]] for name in changes})
            await audit.record("resident.household.update", actor=actor.user, site_id=site.id,
                               object_type="resident.household", object_id=household.id, before=before, after=shown,
                               client_address=actor.client_address)
    await household.refresh_from_db()
    return household


async def timeline(site: Site, unit: Unit) -> list[dict[str, Any]]:
    """Everything that happened at a unit, newest first: cases, revisits, procedures,
    bills and payments."""
    items: list[dict[str, Any]] = []
    cases = await Case.filter(unit_id=unit.id).order_by("-id").limit(200)
    statuses = dict(await Task.filter(id__in=[c.task_id for c in cases]).values_list("id", "status"))
    for case in cases:
        items.append({"at": case.created_at, "kind": "case", "id": case.id, "case_kind": case.kind,
                      "title": case.title, "status": statuses.get(case.task_id), "task_id": case.task_id})
    for revisit in await Revisit.filter(unit_id=unit.id, status="done").order_by("-id").limit(200):
        items.append({"at": revisit.done_at, "kind": "revisit", "id": revisit.id, "case_id": revisit.case_id,
                      "title": revisit.evaluation or revisit.notes, "reached": revisit.reached,
                      "satisfied": revisit.satisfied, "method": revisit.method})
    for procedure in await Procedure.filter(unit_id=unit.id).order_by("-id").limit(100):
        items.append({"at": procedure.created_at, "kind": "procedure", "id": procedure.id,
                      "procedure_kind": procedure.kind, "status": procedure.status,
                      "documents": await ProcedureDocument.filter(procedure_id=procedure.id).count()})
    bills = await Bill.filter(unit_id=unit.id).order_by("-id").limit(120)
    for bill in bills:
        items.append({"at": bill.created_at, "kind": "bill", "id": bill.id, "period": bill.period,
                      "amount": format_money(bill.amount_minor, site.currency),
                      "outstanding": format_money(bill.outstanding_minor, site.currency)})
    for payment in await Payment.filter(bill_id__in=[b.id for b in bills]).order_by("-id").limit(200):
        items.append({"at": payment.paid_at, "kind": "payment", "id": payment.id, "bill_id": payment.bill_id,
                      "amount": format_money(payment.amount_minor, site.currency), "method": payment.method})
    items.sort(key=lambda item: (item["at"] is not None, item["at"]), reverse=True)
    for item in items:
        item["at"] = rfc3339(item["at"])
    return items
