"""The price list from a spreadsheet and back (``cashier.price_list``), on ``core.imports``.

One row an item: code, name, category, price, taxable, active. An import adds items; a
code the site's price list has already is a row error (a price change goes through the
item's own edit, with its version, so a re-imported file never silently reprices).
Prices are parsed by ``core.money`` in the site's currency, never through a float.
"""

from __future__ import annotations

from typing import Any

from core.i18n import N_
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.imports import BATCH, CellError, Column, ImportContext, Importer, Row, RowError, cells
from core.imports.services import audit_created
from core.money import format_money
from plugins.cashier.models import PRICE_CATEGORIES, PriceItem
from plugins.cashier.sales import CODE

#: Category words accepted besides the codes (zh-Hant, zh-Hans).
CATEGORY_WORDS = {"迷你吧": "minibar", "布草": "linen", "服務": "service", "服务": "service", "其他": "other"}
FIELDS = ["code", "name", "category", "price", "taxable", "active"]


def _item_code(text: str) -> str:
    value = cells.unquote(text)
    if not CODE.match(value):
        raise CellError(_("A code is 1 to 40 letters, digits, dots, dashes or underscores."))
    return value


COLUMNS = (
    Column("code", N_("Item code"), aliases=("代碼", "代码", "編號", "编号", "item"), required=True, parse=_item_code),
    Column("name", N_("Name"), aliases=("名稱", "名称", "品名", "item name"), required=True, parse=cells.text(100)),
    Column("category", N_("Category"), aliases=("類別", "类别", "分類", "分类"), default="other",
           parse=cells.choice(PRICE_CATEGORIES, CATEGORY_WORDS)),
    Column("price", N_("Price"), aliases=("價格", "价格", "單價", "单价", "unit price"), required=True,
           parse=cells.text(40), help=N_("In the site's currency, such as 120.00.")),
    Column("taxable", N_("Taxable"), aliases=("應稅", "应税", "含稅", "含税"), default=False, parse=cells.boolean()),
    Column("active", N_("Active"), aliases=("啟用", "启用", "上架"), default=True, parse=cells.boolean()),
)


async def validate(rows: list[Row], context: ImportContext) -> list[RowError]:
    """A price in the site's currency; a code once in the file and not on the price list
    yet (the list read in one query)."""
    errors = cells.money(rows, "price", context.site.currency)
    taken = await PriceItem.filter(site_id=context.site.id).values_list("code", flat=True)
    return errors + cells.duplicates(
        rows, "code", taken, lambda code: _("The price list has an item %(code)s already.", code=code),
        lambda code, row: _("Code %(code)s is also on row %(row)s.", code=code, row=row))


async def write(rows: list[Row], context: ImportContext) -> int:
    site_id = context.site.id
    await PriceItem.bulk_create([PriceItem(site_id=site_id, **{name: row.values[name] for name in FIELDS})
                                 for row in rows], batch_size=BATCH)
    codes = {row.values["code"] for row in rows}
    stored = [item for item in await PriceItem.filter(site_id=site_id).order_by("id").values("id", *FIELDS)
              if item["code"] in codes]
    await audit_created(context, "cashier.price_item.create", "cashier.price_item", stored, FIELDS)
    return len(stored)


async def export(context: ImportContext) -> list[dict[str, Any]]:
    """The whole price list by code, prices as money strings (what the import reads back)."""
    currency = context.site.currency
    items = await PriceItem.filter(site_id=context.site.id).order_by("code").values(*FIELDS)
    return [{**item, "price": format_money(item["price"], currency)} for item in items]


PRICE_LIST = Importer("cashier.price_list", _l("Price list"), "cashier.price.manage", COLUMNS, write=write,
                      export=export, validate=validate,
                      description=_l("Adds items to the price list; a code already on it is an error "
                                     "(change an item's price on its own page)."))
IMPORTERS = [PRICE_LIST]
