"""The price list and itemised sales: lines (item x quantity) posted as one ledger sale and
a numbered receipt (``core.receipts``) in the same transaction, change given on cash.

Plain async functions, no HTTP: the API and the pages call the same ones.
"""

from __future__ import annotations

import re
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.entities.models import Site
from core.i18n import gettext as _
from core.money import format_money, parse_money
from core.problems import Problem, invalid
from core.receipts import services as receipts
from core.receipts.models import Receipt
from plugins.cashier import services
from plugins.cashier.models import METHODS, PRICE_CATEGORIES, Entry, PriceItem, Register, Shift

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
MAX_LINES = 100
MAX_QUANTITY = 9999
ITEM_FIELDS = ("code", "name", "category", "price", "taxable", "active")


def item_out(item: PriceItem, site: Site) -> dict[str, Any]:
    return {"id": item.id, "code": item.code, "name": item.name, "category": item.category,
            "price": format_money(item.price, site.currency), "taxable": item.taxable, "active": item.active,
            "version": item.version}


def _checked(site: Site, data: dict[str, Any]) -> dict[str, Any]:
    """The item's fields as stored: code and name given, price parsed in the site's currency."""
    out: dict[str, Any] = {}
    if "code" in data:
        code = str(data["code"] or "").strip()
        if not CODE.match(code):
            raise invalid("code", _("A code is 1 to 40 letters, digits, dots, dashes or underscores."))
        out["code"] = code
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            raise invalid("name", _("Give the item a name."))
        out["name"] = name[:100]
    if "category" in data:
        if data["category"] not in PRICE_CATEGORIES:
            raise invalid("category", _("Use one of: %(values)s.", values=", ".join(PRICE_CATEGORIES)))
        out["category"] = data["category"]
    if "price" in data:
        out["price"] = parse_money(data["price"], site.currency, "price")
    for flag in ("taxable", "active"):
        if flag in data:
            if data[flag] is None:  # a JSON null is not "no": say true or false
                raise invalid(flag, _("Give true or false."))
            out[flag] = bool(data[flag])
    return out


async def create_item(site: Site, who: Actor, data: dict[str, Any]) -> PriceItem:
    values = _checked(site, {"category": "other", "taxable": False, "active": True, **data})
    try:
        async with in_transaction():
            item = await PriceItem.create(site_id=site.id, **values)
            await audit.record("cashier.price_item.create", actor=who.user, site_id=site.id,
                               client_address=who.client_address, object_type="cashier.price_item",
                               object_id=item.id, after=item_out(item, site))
    except IntegrityError:
        raise Problem(409, _("The price list has an item %(code)s already.", code=values["code"]),
                      errors=[{"field": "code", "message": _("taken")}]) from None
    return item


async def update_item(site: Site, item: PriceItem, who: Actor, changes: dict[str, Any], version: int) -> PriceItem:
    """Change an item (a price change applies to later sales; receipts keep theirs)."""
    values = _checked(site, changes)
    if version != item.version:
        raise Problem(409, _("The item changed meanwhile; reload it."), current=item_out(item, site))
    before = item_out(item, site)
    try:
        async with in_transaction():
            updated = await PriceItem.filter(id=item.id, site_id=site.id, version=version).update(
                **values, version=version + 1)
            if not updated:
                await item.refresh_from_db()
                raise Problem(409, _("The item changed meanwhile; reload it."), current=item_out(item, site))
            await item.refresh_from_db()
            after = item_out(item, site)
            changed = {key for key in after if before.get(key) != after[key]}
            await audit.record("cashier.price_item.update", actor=who.user, site_id=site.id,
                               client_address=who.client_address, object_type="cashier.price_item",
                               object_id=item.id, before={k: before[k] for k in changed},
                               after={k: after[k] for k in changed})
    except IntegrityError:
        raise Problem(409, _("The price list has an item %(code)s already.", code=values.get("code", "")),
                      errors=[{"field": "code", "message": _("taken")}]) from None
    return item


async def sale_lines(site: Site, lines: list[dict[str, Any]]) -> list[receipts.Line]:
    """The sale's lines priced from the site's price list (active items only); a bad line
    is a 422 naming ``lines.<n>.item_code`` or ``lines.<n>.quantity``."""
    if not lines:
        raise invalid("lines", _("Add at least one item."))
    if len(lines) > MAX_LINES:
        raise invalid("lines", _("At most %(count)s lines in one sale.", count=MAX_LINES))
    codes = {str(line.get("item_code", "")).strip() for line in lines}
    items = {item.code: item for item in await PriceItem.filter(site_id=site.id, code__in=list(codes), active=True)}
    priced = []
    for index, line in enumerate(lines):
        code = str(line.get("item_code", "")).strip()
        quantity = line.get("quantity")
        item = items.get(code)
        if item is None:
            raise invalid(f"lines.{index}.item_code", _("No item %(code)s on this site's price list.", code=code))
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise invalid(f"lines.{index}.quantity", _("A quantity is a whole number from 1 to %(max)s.",
                                                        max=MAX_QUANTITY))
        priced.append(receipts.Line(code=item.code, name=item.name, quantity=quantity, unit_price=item.price,
                                    taxable=item.taxable))
    return priced


async def post_sale(kernel, site: Site, shift: Shift, who: Actor, *, lines: list[dict[str, Any]], method: str,
                    tendered: Any = None, key: str | None = None) -> tuple[Entry, Receipt, bool]:
    """An itemised sale: one ledger sale for the total and its receipt (series
    ``register:<id>``), in one transaction. Cash may give ``tendered``: the change is
    tendered minus total (less than the total is a 422 naming ``tendered``)."""
    if method not in METHODS:
        raise invalid("method", _("Use one of: %(values)s.", values=", ".join(METHODS)))
    priced = await sale_lines(site, lines)
    total = sum(line.amount for line in priced)
    given = None
    if tendered not in (None, ""):
        if method != "cash":
            raise invalid("tendered", _("Only a cash sale takes an amount tendered."))
        given = parse_money(tendered, site.currency, "tendered")
        if given < total:
            raise invalid("tendered", _("The amount tendered (%(tendered)s) is less than the total (%(total)s).",
                                        tendered=format_money(given, site.currency),
                                        total=format_money(total, site.currency)))
    if shift.cashier_id != who.user.id:
        raise Problem(403, _("Only the shift's cashier posts to it."))
    if shift.status != "open":
        problem = Problem(409, _("Shift %(id)s is closed: nothing more can be posted to it.", id=shift.id))
        raise await services.refuse(site, who, "entry.post", problem, "cashier.shift", shift.id)
    register = await Register.get(id=shift.register_id)
    digest = services.request_hash({"kind": "sale", "lines": [line.stored() for line in priced], "method": method,
                                    "tendered": given})
    issued: list[Receipt] = []

    async def issue_receipt(entry: Entry) -> None:
        issued.append(await receipts.issue(
            site, who, series=receipts.register_series(register.id), series_label=register.name, lines=priced,
            method=method, tendered=given, source_type="cashier.entry", source_id=entry.id))

    entry, created = await services._insert_entry(site, shift, who, key, digest, kind="sale", method=method,
                                                  amount=total, reference="", note="", needs_approval=False,
                                                  then=issue_receipt)
    if issued:
        receipt = issued[0]
    else:  # a repeated request: the first one's receipt
        receipt = await Receipt.get(site_id=site.id, source_type="cashier.entry", source_id=entry.id)
    await services._entry_posted(kernel, site, entry, created, who)
    return entry, receipt, created
