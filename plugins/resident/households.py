"""Households: members per unit, CSV import with a validation report, the unit timeline."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339
from core.entities.models import Party, Site, Unit
from core.entities.privacy import mask_phone, normalise_phone
from core.i18n import gettext as _
from core.money import format_money
from core.tasks.models import Task
from core.problems import Problem, invalid
from core.rows import fetch as rows_of
from plugins.resident.models import (RELATIONS, Bill, Case, Household, Member, Payment, Procedure,
                                     ProcedureDocument, Revisit)

PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,30}$")
CSV_COLUMNS = ("unit_code", "name", "relation", "phone", "important", "area")
MAX_CSV_ROWS = 20_000
TRUE = ("1", "yes", "true", "y", "是")


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


async def _check_members(site: Site, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checked = []
    for index, member in enumerate(members):
        name = (member.get("name") or "").strip()
        party_id = member.get("party_id")
        if party_id is not None:
            party = await Party.get_or_none(id=party_id, site_id=site.id)
            if party is None:
                raise invalid(f"members.{index}.party_id", _("No party %(id)s at this site.", id=party_id))
            name = name or party.name
        if not name:
            raise invalid(f"members.{index}.name", _("Give a name or a party_id."))
        if member.get("relation") not in RELATIONS:
            raise invalid(f"members.{index}.relation", _("Use one of: %(values)s.", values=", ".join(RELATIONS)))
        phone = (member.get("phone") or "").strip()
        if phone and not PHONE.match(phone):
            raise invalid(f"members.{index}.phone", _("This does not look like a phone number."))
        checked.append({"name": name[:200], "relation": member["relation"], "party_id": party_id,
                        "phone": normalise_phone(phone) if phone else ""})
    return checked


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


async def import_csv(site: Site, text: str, actor: Actor, dry_run: bool = False) -> dict[str, Any]:
    """Households from CSV rows (one member a row; rows of one unit form its household).

    Every row is checked first; if any is bad, nothing is written and the report lists
    each bad row with its field and message.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in ("unit_code", "name", "relation") if name not in header]
    if missing:
        raise invalid("csv", _("The header lacks the columns: %(names)s.", names=", ".join(missing)))
    units = dict(await Unit.filter(site_id=site.id).values_list("code", "id"))
    taken = set(await Household.filter(site_id=site.id).values_list("unit_id", flat=True))
    errors: list[dict[str, Any]] = []
    groups: dict[int, dict[str, Any]] = {}
    count = 0
    for number, raw in enumerate(reader, start=2):
        count += 1
        if count > MAX_CSV_ROWS:
            raise invalid("csv", _("At most %(count)s rows at a time.", count=MAX_CSV_ROWS))
        row = {key.strip(): (value or "").strip() for key, value in raw.items() if key}

        def bad(field: str, message: str) -> None:
            errors.append({"row": number, "field": field, "message": message})  # noqa: B023 — used in this iteration only

        unit_id = units.get(row.get("unit_code", ""))
        if unit_id is None:
            bad("unit_code", _("No unit with this code here."))
        elif unit_id in taken:
            bad("unit_code", _("This unit has a household already."))
        if not row.get("name"):
            bad("name", _("This field is required."))
        if row.get("relation") not in RELATIONS:
            bad("relation", _("Use one of: %(values)s.", values=", ".join(RELATIONS)))
        phone = row.get("phone", "")
        if phone and not PHONE.match(phone):
            bad("phone", _("This does not look like a phone number."))
        area = _decimal(row.get("area", ""))
        if area is None:
            bad("area", _("Enter an area such as 85.50."))
        if unit_id is None or unit_id in taken:
            continue
        group = groups.setdefault(unit_id, {"important": False, "area": Decimal(0), "members": []})
        group["important"] = group["important"] or row.get("important", "").lower() in TRUE
        if area:
            group["area"] = area
        group["members"].append({"name": row.get("name", "")[:200], "relation": row.get("relation", ""),
                                 "phone": normalise_phone(phone) if phone else ""})
    report = {"rows": count, "households": len(groups), "members": sum(len(g["members"]) for g in groups.values()),
              "errors": errors, "dry_run": dry_run, "created": 0}
    if errors:
        raise Problem(422, _("%(count)s rows have errors; nothing was imported.", count=len({e["row"] for e in errors})),
                      errors=[{"field": f"row {e['row']}: {e['field']}", "message": e["message"]} for e in errors],
                      report=report)
    if count == 0:
        raise invalid("csv", _("The file has no rows."))
    if dry_run:
        return report
    async with in_transaction():
        households = [Household(site_id=site.id, unit_id=unit_id, important=g["important"], area=g["area"])
                      for unit_id, g in groups.items()]
        await Household.bulk_create(households, batch_size=500)
        ids = dict(await Household.filter(site_id=site.id, unit_id__in=list(groups)).values_list("unit_id", "id"))
        await Member.bulk_create([Member(household_id=ids[unit_id], **member)
                                  for unit_id, g in groups.items() for member in g["members"]], batch_size=500)
        await audit.record("resident.household.import", actor=actor.user, site_id=site.id, object_type="resident.household",
                           note=_("%(count)s households imported.", count=len(groups)), client_address=actor.client_address)
    report["created"] = len(groups)
    return report


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
