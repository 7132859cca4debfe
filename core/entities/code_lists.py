"""Managed code lists per site: the categories, causes and other codes a desk classifies by.

A plugin declares its lists with the ``register_code_lists`` hook: a ``CodeList(name, label,
defaults)`` whose ``defaults`` are ``Code(code, label)`` with the label an English msgid
marked with ``N_`` (translated where shown). A site's items are stored in
``core_code_list_item``: the declared defaults, written the first time the site's list is
used, and what its administrators add. Site-added and renamed items carry their own label
text, shown as written.

``add``, ``change`` (rename, deactivate, reactivate, move) are the one way items change (API
and page): validated (422 naming the field), duplicates refused (409 naming ``code``),
versioned per item (409 with ``current``), audited. A code is never deleted: records keep
the codes they were given, a deactivated code is only refused for new ones. ``check`` is
what a plugin calls to accept a code on its records (422 naming its field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.actors import SYSTEM, Actor
from core.audit import services as audit
from core.entities.models import CodeListItem, Site
from core.i18n import gettext as _
from core.problems import Problem, invalid

HOOK = "register_code_lists"
#: A code as stored and sent: a lowercase letter, then letters, digits or ``_``.
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Items a site's list may hold (a code list is a short menu, not a table of records).
MAX_ITEMS = 200
ITEM_FIELDS = ["code", "label", "builtin", "active", "position"]


@dataclass(frozen=True)
class Code:
    """A default item of a list: ``label`` an English msgid (``N_``)."""

    code: str
    label: str


@dataclass(frozen=True)
class CodeList:
    """A list a plugin declares: ``name`` namespaced by the plugin (``resident.complaint_cause``)."""

    name: str
    label: Any
    defaults: tuple[Code, ...] = field(default_factory=tuple)
    description: Any = ""


def declared(host) -> dict[str, CodeList]:
    """Every list the loaded plugins declare, by name, in load order."""
    return {code_list.name: code_list for code_list in host.collect(HOOK)}


def find(host, name: str) -> CodeList:
    """The declared list ``name``, or 404."""
    code_list = declared(host).get(name)
    if code_list is None:
        raise Problem(404, _("No code list %(name)s.", name=name))
    return code_list


def shown_label(item: CodeListItem | dict[str, Any]) -> str:
    """What a person reads: a built-in label through gettext, a site's own as written."""
    label, builtin = (item["label"], item["builtin"]) if isinstance(item, dict) else (item.label, item.builtin)
    return _(label) if builtin else label


def item_out(item: CodeListItem) -> dict[str, Any]:
    return {"code": item.code, "label": shown_label(item), "label_text": item.label, "builtin": item.builtin,
            "active": item.active, "position": item.position, "version": item.version}


async def _ensure(site: Site, code_list: CodeList) -> None:
    """Store the list's declared defaults the site does not hold yet (on first use, and a
    default a newer plugin version adds). Racing twins insert once: the unique key."""
    held = set(await CodeListItem.filter(site_id=site.id, list_name=code_list.name).values_list("code", flat=True))
    missing = [(position, default) for position, default in enumerate(code_list.defaults) if default.code not in held]
    if missing:
        await CodeListItem.bulk_create([
            CodeListItem(site_id=site.id, list_name=code_list.name, code=default.code, label=default.label,
                         builtin=True, position=position) for position, default in missing], ignore_conflicts=True)


async def items(site: Site, code_list: CodeList, *, active_only: bool = False) -> list[CodeListItem]:
    """The site's items of ``code_list``, in order (its defaults stored on first use)."""
    await _ensure(site, code_list)
    query = CodeListItem.filter(site_id=site.id, list_name=code_list.name)
    if active_only:
        query = query.filter(active=True)
    return list(await query.order_by("position", "id"))


async def labels(site: Site, code_list: CodeList) -> dict[str, str]:
    """Every code of the site's list (inactive ones too: old records show them) → its label."""
    return {item.code: shown_label(item) for item in await items(site, code_list)}


async def check(site: Site, code_list: CodeList, code: str, field_name: str) -> str:
    """``code`` if it is an active code of the site's list, else 422 naming ``field_name``."""
    await _ensure(site, code_list)
    if not await CodeListItem.filter(site_id=site.id, list_name=code_list.name, code=code, active=True).exists():
        raise invalid(field_name, _("%(code)s is not an active code of the list %(list)s.", code=code,
                                    list=_(str(code_list.label))))
    return code


def _label(text: Any) -> str:
    text = str(text or "").strip()
    if not text:
        raise invalid("label", _("Write the label people will read."))
    if len(text) > 200:
        raise invalid("label", _("At most %(count)s characters.", count=200))
    return text


def _check_access(actor: Actor, site: Site) -> None:
    # The routes check the permission at the site; this keeps the service safe on its own.
    if not actor.unbounded and not actor.can_at(site.id, "core.code_list.manage"):
        raise Problem(404, _("No site %(code)s.", code=site.code))


async def add(site: Site, code_list: CodeList, data: dict[str, Any], *, actor: Actor = SYSTEM) -> CodeListItem:
    """A site's own item: ``{code, label, position?}``; a code taken is 409 naming ``code``."""
    _check_access(actor, site)
    code = str(data.get("code") or "").strip()
    if not CODE_PATTERN.match(code):
        raise invalid("code", _("A code starts with a lowercase letter, then lowercase letters, digits or _ "
                                "(at most 40)."))
    label = _label(data.get("label"))
    await _ensure(site, code_list)
    async with in_transaction():
        taken = await CodeListItem.filter(site_id=site.id, list_name=code_list.name).values_list("code", "position")
        if code in {held for held, _position in taken}:
            raise _taken(code)
        if len(taken) >= MAX_ITEMS:
            raise Problem(409, _("A list holds at most %(count)s codes.", count=MAX_ITEMS))
        position = data.get("position")
        if position is None:
            position = max((held for _code, held in taken), default=-1) + 1
        try:
            item = await CodeListItem.create(site_id=site.id, list_name=code_list.name, code=code, label=label,
                                             builtin=False, position=int(position))
        except IntegrityError:
            raise _taken(code) from None
        await audit.record("code_list.add", actor=actor.user, site_id=site.id, object_type="code_list_item",
                           object_id=item.id, after={"list": code_list.name, **audit.snapshot(item, ITEM_FIELDS)},
                           client_address=actor.client_address)
    return item


def _taken(code: str) -> Problem:
    message = _("The code %(code)s is in this list already.", code=code)
    return Problem(409, message, errors=[{"field": "code", "message": message}])


async def get(site: Site, code_list: CodeList, code: str) -> CodeListItem:
    await _ensure(site, code_list)
    item = await CodeListItem.get_or_none(site_id=site.id, list_name=code_list.name, code=code)
    if item is None:
        raise Problem(404, _("No code %(code)s in this list.", code=code))
    return item


async def change(site: Site, code_list: CodeList, code: str, changes: dict[str, Any], version: int, *,
                 actor: Actor = SYSTEM) -> CodeListItem:
    """Rename (``label``: the item's own text from then on), deactivate or reactivate
    (``active``), move (``position``); only if nobody changed the item since ``version``."""
    _check_access(actor, site)
    item = await get(site, code_list, code)
    values: dict[str, Any] = {}
    if changes.get("label") is not None:
        label = _label(changes["label"])
        if label != shown_label(item) or not item.builtin:
            values.update(label=label, builtin=False)
    if changes.get("active") is not None:
        values["active"] = bool(changes["active"])
    if changes.get("position") is not None:
        values["position"] = int(changes["position"])
    async with in_transaction():
        before = audit.snapshot(item, ITEM_FIELDS)
        updated = await CodeListItem.filter(id=item.id, version=version).update(**values, version=version + 1)
        if not updated:
            await item.refresh_from_db()
            raise Problem(409, _("Someone changed this code since you read it. Reload and try again."),
                          current=item_out(item))
        await item.refresh_from_db()
        old, new = audit.changed_fields(before, audit.snapshot(item, ITEM_FIELDS))
        await audit.record("code_list.change", actor=actor.user, site_id=site.id, object_type="code_list_item",
                           object_id=item.id, before={"list": code_list.name, "code": code, **old}, after=new,
                           client_address=actor.client_address)
    return item
