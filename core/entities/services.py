"""Sites, units and parties: creating, changing and finding them (audited)."""

from __future__ import annotations

import logging
import re
import zoneinfo
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.actors import SYSTEM, Actor
from core.audit import services as audit
from core.entities.models import Party, Site, Unit
from core.entities.privacy import normalise_phone
from core.entities.site_cache import site_change
from core.i18n import gettext as _
from core.money import site_currencies
from core.plugin_host import PluginHost
from core.problems import Problem, invalid

log = logging.getLogger("frontdesk.entities")

SITE_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$")
SITE_FIELDS = ["code", "name", "kind", "timezone", "currency", "default_language", "settings"]
UNIT_FIELDS = ["code", "kind", "building", "floor", "name", "notes"]
PARTY_FIELDS = ["name", "kind", "phones", "email", "notes"]


def check_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise invalid("timezone", _("Unknown time zone %(name)s.", name=name)) from None
    return name


def check_currency(code: str) -> str:
    code = code.upper()
    if code not in site_currencies():
        raise invalid("currency", _("Unknown ISO 4217 currency %(code)s.", code=code))
    return code


async def money_recorded_at(host: PluginHost, site: Site) -> list[str]:
    """What holds money at ``site``, as the plugins declare (``register_money_checks``).
    Fails closed: a check that raises is named as holding money."""
    held: list[str] = []
    for plugin, checks in host.call_each("register_money_checks"):
        for check in checks:
            try:
                held.extend(await check(site))
            except Exception:
                log.exception("plugin %s: money check failed; counted as money held", plugin.name)
                held.append(_("records of %(plugin)s", plugin=plugin.name))
    return held


def stale(record: Any, serialize) -> Problem:
    """409 for a write based on an old ``version``, with the record as it is now."""
    return Problem(409, _("Someone changed this record since you read it. Reload and try again."),
                   current=serialize(record))


SITE_MANAGE = "core.site.manage"


def managed_sites(actor: Actor):
    """The sites ``actor`` may change: where it holds core.site.manage (every one, for a
    super-administrator or the system)."""
    return Site.all() if actor.unbounded else Site.filter(id__in=sorted(actor.sites_with(SITE_MANAGE)))


def check_may_create_site(actor: Actor) -> None:
    """A new site is no one's yet: creating one is a super-administrator's act."""
    if not actor.unbounded:
        raise Problem(403, _("Only a super-administrator can create sites."))


async def create_site(data: dict[str, Any], *, actor: Actor = SYSTEM) -> Site:
    check_may_create_site(actor)
    if not SITE_CODE.match(data["code"]):
        raise invalid("code", _("Use 2 to 32 lowercase letters, digits or dashes."))
    check_timezone(data["timezone"])
    data = {**data, "currency": check_currency(data["currency"])}
    try:
        async with in_transaction():
            site = await Site.create(**data)
            await audit.record("site.create", actor=actor.user, site_id=site.id, object_type="site", object_id=site.id,
                               after=audit.snapshot(site, SITE_FIELDS), client_address=actor.client_address)
    except IntegrityError:
        raise Problem(409, _("A site with code %(code)s exists already.", code=data["code"]),
                      errors=[{"field": "code", "message": _("taken")}]) from None
    return site


async def _update(instance, changes: dict[str, Any], version: int, fields: list[str], action: str,
                  serialize, *, actor: Actor, site_id: int | None):
    """Optimistic update: applies only if nobody wrote since ``version`` was read."""
    async with in_transaction():
        before = audit.snapshot(instance, fields)
        values = {**changes, "version": version + 1}
        updated = await type(instance).filter(id=instance.id, version=version).update(**values)
        if not updated:
            await instance.refresh_from_db()
            raise stale(instance, serialize)
        await instance.refresh_from_db()
        old, new = audit.changed_fields(before, audit.snapshot(instance, fields))
        await audit.record(action, actor=actor.user, site_id=site_id, object_type=type(instance).__name__.lower(),
                           object_id=instance.id, before=old, after=new, client_address=actor.client_address)
    return instance


async def update_site(site: Site, changes: dict[str, Any], version: int, serialize, *,
                      host: PluginHost, actor: Actor = SYSTEM) -> Site:
    if not actor.can_at(site.id, SITE_MANAGE):
        raise Problem(404, _("No site %(code)s.", code=site.code))
    if "timezone" in changes:
        check_timezone(changes["timezone"])
    if "currency" in changes:
        changes["currency"] = check_currency(changes["currency"])
        # Amounts are stored in the currency's minor units: under another currency every
        # one of them would silently mean another sum (5000.00 TWD read as 500000 JPY).
        if changes["currency"] != site.currency and (held := await money_recorded_at(host, site)):
            message = _("The currency cannot change once money is recorded at this site: %(records)s.",
                        records=", ".join(held))
            raise Problem(409, message, errors=[{"field": "currency", "message": message}])
    async with site_change(site.code):  # every process forgets the site at the commit
        return await _update(site, changes, version, SITE_FIELDS, "site.update", serialize, actor=actor,
                             site_id=site.id)


async def create_unit(site: Site, data: dict[str, Any], *, actor: Actor = SYSTEM) -> Unit:
    try:
        async with in_transaction():
            unit = await Unit.create(site=site, **data)
            await audit.record("unit.create", actor=actor.user, site_id=site.id, object_type="unit", object_id=unit.id,
                               after=audit.snapshot(unit, UNIT_FIELDS), client_address=actor.client_address)
    except IntegrityError:
        raise Problem(409, _("Unit %(code)s exists already at this site.", code=data["code"]),
                      errors=[{"field": "code", "message": _("taken")}]) from None
    return unit


async def update_unit(unit: Unit, changes: dict[str, Any], version: int, serialize, *,
                      actor: Actor = SYSTEM) -> Unit:
    try:
        return await _update(unit, changes, version, UNIT_FIELDS, "unit.update", serialize, actor=actor,
                             site_id=unit.site_id)
    except IntegrityError:
        raise Problem(409, _("Unit %(code)s exists already at this site.", code=changes.get("code")),
                      errors=[{"field": "code", "message": _("taken")}]) from None


def _phones(raw: list[str]) -> tuple[list[str], str]:
    phones = []
    for number in raw:
        normalised = normalise_phone(number)
        if len(normalised.lstrip("+")) < 3 or len(normalised) > 20:
            raise invalid("phones", _("%(phone)s is not a phone number.", phone=number))
        if normalised not in phones:
            phones.append(normalised)
    return phones, " ".join(phones)


async def create_party(site: Site, data: dict[str, Any], *, actor: Actor = SYSTEM) -> Party:
    phones, index = _phones(data.pop("phones", []))
    async with in_transaction():
        party = await Party.create(site=site, phones=phones, phone_index=index, **data)
        await audit.record("party.create", actor=actor.user, site_id=site.id, object_type="party", object_id=party.id,
                           after=audit.snapshot(party, PARTY_FIELDS), client_address=actor.client_address)
    return party


async def update_party(party: Party, changes: dict[str, Any], version: int, serialize, *,
                       actor: Actor = SYSTEM) -> Party:
    if "phones" in changes:
        changes["phones"], changes["phone_index"] = _phones(changes["phones"])
    return await _update(party, changes, version, PARTY_FIELDS, "party.update", serialize, actor=actor,
                         site_id=party.site_id)


def party_search(queryset, text: str, by_phone: bool = True):
    """Parties whose name contains ``text`` or one of whose phones contains its digits.

    ``by_phone=False`` for callers who may not see phone numbers: searching by digits
    would let them confirm the masked digits one guess at a time.
    """
    text = text.strip()
    condition = Q(name__icontains=text)
    digits = normalise_phone(text).lstrip("+")
    if by_phone and len(digits) >= 3:
        condition |= Q(phone_index__contains=digits)
    return queryset.filter(condition)


def unit_search(queryset, text: str):
    text = text.strip()
    return queryset.filter(Q(code__icontains=text) | Q(name__icontains=text) | Q(building__icontains=text))
