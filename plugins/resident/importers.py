"""Households, the property-fee price list and opening fee balances from a spreadsheet and back.

``resident.households``: one row a member (unit code, name, relation, phone) with the
household's important-owner mark and area; the rows of one unit form its household. A
unit that has a household already is a row error: changes to a household go through its
own forms, with their history.

``resident.fee_schedules``: the property-fee price list, one row a unit kind (a fixed
monthly fee, a price per square metre, the due day), as the fees page sets them. A kind
that has a schedule already is a row error (its rates change on the fees page, audited).

``resident.fee_balances``: what each unit owed at the cut-over, one row per unit and
period (unit code, period YYYY-MM, amount owed, due date). Each row becomes the bill of
that period, unpaid, so arrears, reminders and receipts treat it as any other bill, and
a billing run for that period later leaves the unit's bill as it is (one bill per unit
and period). Amounts are parsed by ``core.money`` in the site's currency.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.clock import local_today
from core.entities.models import UNIT_KINDS, Unit
from core.entities.privacy import mask_phone, normalise_phone
from core.i18n import N_
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.imports import BATCH, CellError, Column, ImportContext, Importer, Row, RowError, cells
from core.imports.entities import UNIT_KIND_WORDS
from core.imports.services import audit_created
from core.money import format_money
from plugins.resident.fees import PERIOD
from plugins.resident.households import MAX_MEMBERS, PHONE, _decimal
from plugins.resident.models import RELATIONS, Bill, FeeSchedule, Household, Member

PERSONAL_DATA = "core.party.personal_data"
RELATION_WORDS = {"業主": "owner", "业主": "owner", "屋主": "owner", "租客": "tenant", "租戶": "tenant",
                  "租户": "tenant", "家屬": "family", "家属": "family", "家人": "family"}


def _phone(text: str) -> str:
    text = cells.unquote(text)  # an export wrote "+886..." as "'+886..." (no formula)
    if not PHONE.match(text):
        raise CellError(_("This does not look like a phone number."))
    return normalise_phone(text)


def _area(text: str):
    area = _decimal(text)
    if area is None:
        raise CellError(_("Enter an area such as 85.50."))
    return area


def _period(text: str) -> str:
    if not PERIOD.match(text):
        raise CellError(_("Give the period as YYYY-MM, e.g. 2026-11."))
    return text


UNIT_CODE = Column("unit_code", N_("Unit code"), aliases=("單位編號", "单位编号", "單位", "单位", "unit"),
                   required=True, parse=cells.code(40))

HOUSEHOLD_COLUMNS = (
    UNIT_CODE,
    Column("name", N_("Name"), aliases=("姓名", "名字", "member", "成員", "成员"), required=True, parse=cells.text(200)),
    Column("relation", N_("Relation"), aliases=("關係", "关系", "身份"), required=True,
           parse=cells.choice(RELATIONS, RELATION_WORDS)),
    Column("phone", N_("Phone"), aliases=("電話", "电话", "手機", "手机", "mobile"), parse=_phone),
    Column("important", N_("Important owner"), aliases=("重要業主", "重要业主", "important"), default=False,
           parse=cells.boolean()),
    Column("area", N_("Area (m²)"), aliases=("面積", "面积", "area", "面積(m²)", "面积(m²)"), default=None,
           parse=_area, format=lambda area: "" if area is None else f"{area:.2f}"),
)

SCHEDULE_COLUMNS = (
    Column("unit_kind", N_("Unit kind"), aliases=("單位類別", "单位类别", "類別", "类别", "kind"), required=True,
           parse=cells.choice(UNIT_KINDS, UNIT_KIND_WORDS)),
    Column("fixed", N_("Fixed monthly fee"), aliases=("固定費", "固定费", "月費", "月费", "fixed fee"), default="0",
           parse=cells.text(40), help=N_("In the site's currency, such as 1200.00.")),
    Column("per_sqm", N_("Price per m²"), aliases=("每平方米單價", "每平方米单价", "單價", "单价", "per m2"), default="0",
           parse=cells.text(40), help=N_("In the site's currency, such as 1200.00.")),
    Column("due_day", N_("Due day"), aliases=("繳費日", "缴费日", "到期日"), default=15, parse=cells.integer(1, 28)),
)

BALANCE_COLUMNS = (
    UNIT_CODE,
    Column("period", N_("Period"), aliases=("期間", "期间", "月份", "帳期", "账期"), required=True, parse=_period,
           help=N_("The month billed, as YYYY-MM.")),
    Column("amount", N_("Amount owed"), aliases=("欠款", "欠費", "欠费", "應繳金額", "应缴金额", "amount"), required=True,
           parse=cells.text(40), help=N_("In the site's currency, such as 1200.00.")),
    Column("due_date", N_("Due date"), aliases=("到期日", "繳費期限", "缴费期限"), default=None, parse=cells.date(),
           format=lambda day: "" if day is None else day.isoformat()),
)


async def _units(context: ImportContext) -> dict[str, int]:
    """The site's unit ids by code, read once per import (kept for ``write``)."""
    if "units" not in context.state:
        context.state["units"] = dict(await Unit.filter(site_id=context.site.id).values_list("code", "id"))
    return context.state["units"]


def _unknown_unit(row: Row) -> RowError:
    return RowError(row.number, "unit_code", _("No unit with this code here."))


# --- households ----------------------------------------------------------------------------


async def validate_households(rows: list[Row], context: ImportContext) -> list[RowError]:
    """A unit of this site without a household; at most ``MAX_MEMBERS`` a household."""
    units = await _units(context)
    taken = set(await Household.filter(site_id=context.site.id).values_list("unit_id", flat=True))
    errors = []
    members: dict[str, int] = {}
    for row in rows:
        code = row.values["unit_code"]
        if "unit_code" in row.failed:
            continue
        unit_id = units.get(code)
        if unit_id is None:
            errors.append(_unknown_unit(row))
        elif unit_id in taken:
            errors.append(RowError(row.number, "unit_code", _("This unit has a household already.")))
        members[code] = members.get(code, 0) + 1
        if members[code] == MAX_MEMBERS + 1:
            errors.append(RowError(row.number, "name", _("A household has at most %(count)s members.",
                                                         count=MAX_MEMBERS)))
    return errors


def _groups(rows: list[Row], units: dict[str, int]) -> dict[int, dict[str, Any]]:
    """The rows by unit (file order): the important mark if any row gives it, the last
    area given, the members."""
    groups: dict[int, dict[str, Any]] = {}
    for row in rows:
        values = row.values
        group = groups.setdefault(units[values["unit_code"]], {"important": False, "area": None, "members": []})
        group["important"] = group["important"] or values["important"]
        if values["area"] is not None:
            group["area"] = values["area"]
        group["members"].append({"name": values["name"], "relation": values["relation"], "phone": values["phone"]})
    return groups


async def write_households(rows: list[Row], context: ImportContext) -> int:
    site_id = context.site.id
    groups = _groups(rows, await _units(context))
    await Household.bulk_create([Household(site_id=site_id, unit_id=unit_id, important=group["important"],
                                           area=group["area"] or 0) for unit_id, group in groups.items()],
                                batch_size=BATCH)
    # read back as plain rows: 20,000 model objects would cost seconds
    created = [household for household in await (Household.filter(site_id=site_id).order_by("id")
                                                  .values("id", "unit_id", "important", "area"))
               if household["unit_id"] in groups]
    await Member.bulk_create([Member(household_id=household["id"], **member) for household in created
                              for member in groups[household["unit_id"]]["members"]], batch_size=BATCH)
    # the audit names the members, as a household created by hand does
    await audit_created(context, "resident.household.create", "resident.household", [
        {**household, "area": f"{household['area']:.2f}",
         "member_names": [member["name"] for member in groups[household["unit_id"]]["members"]]}
        for household in created], ["unit_id", "important", "area", "member_names"])
    return len(created)


async def export_households(context: ImportContext) -> list[dict[str, Any]]:
    """One row a member by unit code; phones masked for whoever may not see them, as the
    household list does. A household without members has no row (an import makes
    households of members)."""
    site_id = context.site.id
    codes = dict(await Unit.filter(site_id=site_id).values_list("id", "code"))
    households = await Household.filter(site_id=site_id).values("id", "unit_id", "important", "area")
    members: dict[int, list[dict[str, Any]]] = {}
    for member in await (Member.filter(household__site_id=site_id).order_by("id")
                         .values("household_id", "name", "relation", "phone")):
        members.setdefault(member["household_id"], []).append(member)
    show = context.actor.can(PERSONAL_DATA)
    out = []
    for household in sorted(households, key=lambda h: codes.get(h["unit_id"], "")):
        base = {"unit_code": codes.get(household["unit_id"], ""), "important": household["important"],
                "area": household["area"]}
        for person in members.get(household["id"], []):
            out.append({**base, "name": person["name"], "relation": person["relation"],
                        "phone": person["phone"] if show else mask_phone(person["phone"] or "")})
    return out


# --- the property-fee price list -------------------------------------------------------------


async def validate_schedules(rows: list[Row], context: ImportContext) -> list[RowError]:
    """Amounts in the site's currency, not both zero (a schedule charges something); a
    unit kind once in the file and without a schedule yet."""
    currency = context.site.currency
    errors = cells.money(rows, "fixed", currency, allow_zero=True)
    errors += cells.money(rows, "per_sqm", currency, allow_zero=True)
    for row in rows:
        fixed, per_sqm = row.values["fixed"], row.values["per_sqm"]
        # (amounts that did not parse are still text here: their own error says so)
        if isinstance(fixed, int) and isinstance(per_sqm, int) and fixed == per_sqm == 0:
            errors.append(RowError(row.number, "fixed", _("Charge a fixed fee, a price per m², or both.")))
    taken = await FeeSchedule.filter(site_id=context.site.id).values_list("unit_kind", flat=True)
    return errors + cells.duplicates(
        rows, "unit_kind", taken,
        lambda kind: _("%(kind)s has a fee schedule already: change it on the fees page.", kind=kind),
        lambda kind, row: _("%(kind)s is also on row %(row)s.", kind=kind, row=row))


async def write_schedules(rows: list[Row], context: ImportContext) -> int:
    site_id = context.site.id
    await FeeSchedule.bulk_create([FeeSchedule(site_id=site_id, unit_kind=row.values["unit_kind"],
                                               fixed_minor=row.values["fixed"], per_sqm_minor=row.values["per_sqm"],
                                               due_day=row.values["due_day"]) for row in rows], batch_size=BATCH)
    kinds = {row.values["unit_kind"] for row in rows}
    stored = [schedule for schedule in await FeeSchedule.filter(site_id=site_id).order_by("id")
              if schedule.unit_kind in kinds]
    await audit_created(context, "resident.fee_schedule.set", "resident.fee_schedule", stored,
                        ["unit_kind", "fixed_minor", "per_sqm_minor", "due_day"])
    return len(stored)


async def export_schedules(context: ImportContext) -> list[dict[str, Any]]:
    currency = context.site.currency
    schedules = await (FeeSchedule.filter(site_id=context.site.id).order_by("unit_kind")
                       .values("unit_kind", "fixed_minor", "per_sqm_minor", "due_day"))
    return [{"unit_kind": s["unit_kind"], "fixed": format_money(s["fixed_minor"], currency),
             "per_sqm": format_money(s["per_sqm_minor"], currency), "due_day": s["due_day"]} for s in schedules]


# --- opening balances of property fees ---------------------------------------------------------


async def validate_balances(rows: list[Row], context: ImportContext) -> list[RowError]:
    """An amount in the site's currency; a unit of this site; a period not after this
    month (a balance is what was owed at the cut-over); one bill per unit and period, in
    the file and against the bills there (read in one query)."""
    site = context.site
    errors = cells.money(rows, "amount", site.currency)
    units = await _units(context)
    month = local_today(site).strftime("%Y-%m")
    periods = sorted({row.values["period"] for row in rows if "period" not in row.failed})
    billed = set(await Bill.filter(site_id=site.id, period__in=periods).values_list("unit_id", "period"))
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.failed & {"unit_code", "period"}:
            continue
        code, period = row.values["unit_code"], row.values["period"]
        unit_id = units.get(code)
        if unit_id is None:
            errors.append(_unknown_unit(row))
        elif (unit_id, period) in billed:
            errors.append(RowError(row.number, "period", _("Unit %(code)s has a bill for %(period)s already.",
                                                           code=code, period=period)))
        elif (code, period) in seen:
            errors.append(RowError(row.number, "period", _("Unit %(code)s and %(period)s are also on row %(row)s.",
                                                           code=code, period=period, row=seen[(code, period)])))
        seen.setdefault((code, period), row.number)
        if period > month:
            errors.append(RowError(row.number, "period", _("An opening balance is for a month up to this one "
                                                           "(%(month)s).", month=month)))
    return errors


async def write_balances(rows: list[Row], context: ImportContext) -> int:
    """Unpaid bills; a row without a due date is due on its unit kind's fee day (the
    15th without a schedule), as a billing run would have dated it."""
    site_id = context.site.id
    units = await _units(context)
    kinds = dict(await Unit.filter(site_id=site_id).values_list("id", "kind"))
    due_days = dict(await FeeSchedule.filter(site_id=site_id).values_list("unit_kind", "due_day"))
    bills = []
    for row in rows:
        values = row.values
        unit_id = units[values["unit_code"]]
        year, month = (int(part) for part in values["period"].split("-"))
        due = values["due_date"] or dt.date(year, month, min(due_days.get(kinds.get(unit_id), 15), 28))
        bills.append(Bill(site_id=site_id, unit_id=unit_id, period=values["period"], amount_minor=values["amount"],
                          outstanding_minor=values["amount"], due_date=due))
    await Bill.bulk_create(bills, batch_size=BATCH)
    wanted = {(bill.unit_id, bill.period) for bill in bills}
    stored = [{**bill, "due_date": bill["due_date"].isoformat()}
              for bill in await (Bill.filter(site_id=site_id, period__in=sorted({b.period for b in bills})).order_by("id")
                                 .values("id", "unit_id", "period", "amount_minor", "due_date"))
              if (bill["unit_id"], bill["period"]) in wanted]
    await audit_created(context, "resident.bill.opening_balance", "resident.bill", stored,
                        ["unit_id", "period", "amount_minor", "due_date"])
    return len(stored)


async def export_balances(context: ImportContext) -> list[dict[str, Any]]:
    """What each unit owes, bill by bill (unit code, period): the balances a move to
    another system starts from."""
    site = context.site
    codes = dict(await Unit.filter(site_id=site.id).values_list("id", "code"))
    bills = await (Bill.filter(site_id=site.id, outstanding_minor__gt=0)
                   .values("unit_id", "period", "outstanding_minor", "due_date"))
    rows = [{"unit_code": codes.get(bill["unit_id"], ""), "period": bill["period"],
             "amount": format_money(bill["outstanding_minor"], site.currency), "due_date": bill["due_date"]}
            for bill in bills]
    return sorted(rows, key=lambda row: (row["unit_code"], row["period"]))


HOUSEHOLDS = Importer("resident.households", _l("Households"), "resident.household.edit", HOUSEHOLD_COLUMNS,
                      write=write_households, export=export_households, validate=validate_households,
                      description=_l("One row a member; the rows of one unit form its household. A unit that has "
                                     "a household already is an error."))
FEE_SCHEDULES = Importer("resident.fee_schedules", _l("Property fee price list"), "resident.fee.manage",
                         SCHEDULE_COLUMNS, write=write_schedules, export=export_schedules, validate=validate_schedules,
                         export_permission="resident.fee.read",
                         description=_l("One row a unit kind: its fixed monthly fee, price per m² and due day. A kind "
                                        "that has a schedule already is an error (change it on the fees page)."))
FEE_BALANCES = Importer("resident.fee_balances", _l("Opening fee balances"), "resident.fee.manage", BALANCE_COLUMNS,
                        write=write_balances, export=export_balances, validate=validate_balances,
                        export_permission="resident.fee.read",
                        description=_l("What each unit owed at the move to Frontdesk, one row per unit and month: "
                                       "each becomes an unpaid bill of that month."))
IMPORTERS = [HOUSEHOLDS, FEE_SCHEDULES, FEE_BALANCES]
