"""Core's importers of units and parties (``core.units``, ``core.parties``).

Both check the whole file against the database with one query each (the site's unit
codes, its parties' names and phones), never one per row, and write with ``bulk_create``
in batches, each record audited (``audit_created``).
"""

from __future__ import annotations

from typing import Any

from core.entities.models import PARTY_KINDS, UNIT_KINDS, Party, Unit
from core.entities.privacy import normalise_phone
from core.entities.services import PARTY_FIELDS, UNIT_FIELDS
from core.i18n import LANGUAGES, N_
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.imports import BATCH, CellError, Column, ImportContext, Importer, Row, RowError, cells
from core.imports.services import audit_created

# --- Units ----------------------------------------------------------------------------------

#: Chinese words people write for a unit's kind (both scripts), besides the codes themselves.
UNIT_KIND_WORDS = {
    "公寓": "apartment", "住宅": "apartment", "住戶": "apartment", "住户": "apartment",
    "房間": "room", "房间": "room", "客房": "room",
    "店面": "shop", "商店": "shop", "店舖": "shop", "店铺": "shop",
    "車位": "parking", "车位": "parking", "停車位": "parking", "停车位": "parking",
    "辦公室": "office", "办公室": "office",
    "儲藏室": "storage", "储藏室": "storage", "倉庫": "storage", "仓库": "storage",
    "公共區域": "common_area", "公共区域": "common_area", "公設": "common_area", "公设": "common_area",
    "其他": "other",
}


def _site_code(value: str) -> str:
    return value.strip().lower()


UNIT_COLUMNS = (
    Column("site", N_("Site"), aliases=("據點", "据点", "項目", "项目", "site code"), parse=_site_code,
           help=N_("The site's code; rows of another site are refused. Optional.")),
    Column("code", N_("Unit code"), aliases=("code", "單位編號", "单位编号", "單位", "单位", "編號", "编号", "unit"),
           required=True, parse=cells.code(40)),
    Column("kind", N_("Kind"), aliases=("類別", "类别", "類型", "类型", "type"), default="apartment",
           parse=cells.choice(UNIT_KINDS, UNIT_KIND_WORDS),
           help=N_("Apartment, room, shop, parking space, office, storage, common area or other (default apartment); the English codes work too.")),
    Column("building", N_("Building"), aliases=("棟別", "栋别", "大樓", "大楼", "樓棟", "楼栋", "棟", "栋"),
           parse=cells.text(60)),
    Column("floor", N_("Floor"), aliases=("樓層", "楼层", "層", "层"), parse=cells.text(10)),
    Column("name", N_("Name"), aliases=("名稱", "名称"), parse=cells.text(200)),
    Column("notes", N_("Notes"), aliases=("備註", "备注", "note"), parse=cells.text(4000)),
)


def other_site_errors(rows: list[Row], context: ImportContext) -> list[RowError]:
    """A row naming another site in its ``site`` column is refused: a file of several sites
    is imported one site at a time, never spilling into the site one is at."""
    code = context.site.code
    return [RowError(row.number, "site", _("This row is for site %(row_site)s, not %(site)s: import it there.",
                                           row_site=row.values["site"], site=code))
            for row in rows if row.values.get("site") and row.values["site"] != code]


async def validate_units(rows: list[Row], context: ImportContext) -> list[RowError]:
    taken = set(await Unit.filter(site_id=context.site.id).values_list("code", flat=True))
    return other_site_errors(rows, context) + cells.duplicates(
        rows, "code", taken, lambda code: _("Unit %(value)s exists already at this site.", value=code))


def _chunks(items: list[Any], size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def write_units(rows: list[Row], context: ImportContext) -> int:
    site_id = context.site.id
    units = [Unit(site_id=site_id, **{name: row.values[name] for name in UNIT_FIELDS}) for row in rows]
    await Unit.bulk_create(units, batch_size=BATCH)
    # bulk_create does not give ids back on every backend: read them by code, a batch at a time.
    stored: list[dict[str, Any]] = []
    for codes in _chunks([unit.code for unit in units]):
        stored += await Unit.filter(site_id=site_id, code__in=codes).values("id", *UNIT_FIELDS)
    await audit_created(context, "unit.create", "unit", stored, UNIT_FIELDS)
    return len(stored)


async def export_units(context: ImportContext) -> list[dict[str, Any]]:
    rows = await Unit.filter(site_id=context.site.id).order_by("building", "code").values(*UNIT_FIELDS)
    return [{"site": context.site.code, **row} for row in rows]


UNITS = Importer("core.units", _l("Units"), "core.unit.edit", UNIT_COLUMNS, write=write_units,
                 export=export_units, validate=validate_units, export_permission="core.unit.read",
                 description=_l("One row per unit. A unit code already at the site is an error: nothing is "
                                "changed."))

# --- Parties --------------------------------------------------------------------------------

PARTY_KIND_WORDS = {"個人": "person", "个人": "person", "人": "person", "住戶": "person", "住户": "person",
                    "公司": "organisation", "機構": "organisation", "机构": "organisation",
                    "organization": "organisation", "company": "organisation", "法人": "organisation"}
LANGUAGE_WORDS = {"繁體中文": "zh_Hant", "繁体中文": "zh_Hant", "繁中": "zh_Hant", "zh-tw": "zh_Hant",
                  "zh-hant": "zh_Hant", "简体中文": "zh_Hans", "簡體中文": "zh_Hans", "简中": "zh_Hans",
                  "zh-cn": "zh_Hans", "zh-hans": "zh_Hans", "english": "en", "英文": "en", "英語": "en", "英语": "en"}
#: The channels a party may prefer (``core.messages``): core's own names.
CHANNELS = ("sms", "email", "in_app")


def _phone(value: str) -> str:
    normalised = normalise_phone(cells.unquote(value))
    if len(normalised.lstrip("+")) < 3 or len(normalised) > 20:
        raise CellError(_("%(phone)s is not a phone number.", phone=value))
    return normalised


PARTY_COLUMNS = (
    Column("name", N_("Name"), aliases=("姓名", "名稱", "名称", "party"), required=True, parse=cells.text(200)),
    Column("kind", N_("Kind"), aliases=("類別", "类别", "類型", "类型", "type"), default="person",
           parse=cells.choice(PARTY_KINDS, PARTY_KIND_WORDS), help=N_("person or organisation (default person).")),
    Column("phones", N_("Phones"), aliases=("電話", "电话", "手機", "手机", "phone", "phone numbers"), default=[],
           parse=cells.items(_phone, max_items=10), help=N_("Several separated by ; or ,")),
    Column("email", N_("E-mail"), aliases=("電子郵件", "电子邮件", "電郵", "电邮", "email", "e-mail address", "mail"),
           parse=cells.email()),
    Column("preferred_language", N_("Preferred language"), aliases=("語言", "语言", "language"),
           parse=cells.choice(LANGUAGES, LANGUAGE_WORDS)),
    Column("preferred_channel", N_("Preferred channel"), aliases=("聯絡方式", "联络方式", "channel"),
           parse=cells.choice(CHANNELS)),
    Column("notes", N_("Notes"), aliases=("備註", "备注", "note"), parse=cells.text(4000)),
)
PARTY_EXPORT_FIELDS = ["name", "kind", "phones", "email", "preferred_language", "preferred_channel", "notes"]


def _party_keys(name: str, phones: list[str], email: str) -> list[tuple[str, str]]:
    """What makes two parties the same person for an import: the same name with a phone or
    the e-mail in common (two 王小明 with different numbers are two people)."""
    name = name.strip().casefold()
    return [(name, phone) for phone in phones] + ([(name, email.casefold())] if email else [])


async def validate_parties(rows: list[Row], context: ImportContext) -> list[RowError]:
    taken: set[tuple[str, str]] = set()
    for name, phones, email in await Party.filter(site_id=context.site.id).values_list("name", "phones", "email"):
        taken.update(_party_keys(name, phones or [], email or ""))
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if "name" in row.failed:  # no name: nobody to compare (its own error says so)
            continue
        keys = _party_keys(row.values["name"], row.values["phones"], row.values["email"])
        if any(key in taken for key in keys):
            errors.append(RowError(row.number, "name", _("%(name)s with this phone or e-mail exists already at this "
                                                         "site.", name=row.values["name"])))
        elif earlier := next((seen[key] for key in keys if key in seen), None):
            errors.append(RowError(row.number, "name", _("%(value)s is also on row %(row)s.",
                                                         value=row.values["name"], row=earlier)))
        for key in keys:
            seen.setdefault(key, row.number)
    return errors


async def write_parties(rows: list[Row], context: ImportContext) -> int:
    # Parties have no natural key to read their ids back by: insert in batches and take
    # the ids of each batch from the rows created after the highest id before it, in the
    # same transaction (ids ascend in insertion order on both databases), narrowed to the
    # batch's names so that a party another request creates meanwhile is not taken for
    # an imported one (unless it has one of the same names: a rare, harmless audit extra).
    site_id = context.site.id
    stored: list[dict[str, Any]] = []
    for batch in _chunks(rows):
        last = await Party.filter(site_id=site_id).order_by("-id").first().values_list("id", flat=True) or 0
        await Party.bulk_create([Party(site_id=site_id, phone_index=" ".join(row.values["phones"]), **row.values)
                                 for row in batch], batch_size=BATCH)
        names = list({row.values["name"] for row in batch})
        stored += await Party.filter(site_id=site_id, id__gt=last, name__in=names).order_by("id").values(
            "id", *PARTY_FIELDS)
    await audit_created(context, "party.create", "party", stored, PARTY_FIELDS)
    return len(stored)


async def export_parties(context: ImportContext) -> list[dict[str, Any]]:
    return list(await Party.filter(site_id=context.site.id).order_by("name", "id").values(*PARTY_EXPORT_FIELDS))


PARTIES = Importer("core.parties", _l("Parties (residents, owners, tenants, companies)"), "core.party.edit",
                   PARTY_COLUMNS, write=write_parties, export=export_parties, validate=validate_parties,
                   # Phones and e-mails go out unmasked: only who may see them may export them.
                   export_permission="core.party.personal_data",
                   description=_l("One row per person or organisation. The same name with a phone or e-mail "
                                  "already at the site is an error."))

