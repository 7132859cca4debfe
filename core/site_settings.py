"""Per-site settings: what each plugin lets a site's administrator change, one service.

A plugin declares its settings with the ``register_site_settings`` hook: a list of
``SettingGroup(key, label, model)`` whose ``model`` is a pydantic model with a default
for every field, the field's ``title`` and ``description`` as label and help text
(msgids, marked with ``N_``, translated where shown) and its constraints (``ge``/``le``,
patterns). Values live in ``Site.settings[<group key>]`` (core's own group at the top
level of ``Site.settings``, where they always were); what is not stored reads as the
default.

Plugins read their values through ``effective(site, GROUP)`` (the model, stored values
over the defaults) or ``value(site, GROUP, "key")``; a stored value that no longer fits
the model reads as its default (and is logged), so a hand-edited row never breaks a desk.

``change`` is the one way values are written (API, page and CLI): every key validated
(422 naming ``<group>.<key>``, unknown groups and keys too), versioned with the site's
``version`` (409 when stale), audited with the before and after of the keys that changed,
all or nothing. Amounts (``Money`` fields) are strings read by ``core.money`` in the
site's currency.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Callable

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from core.actors import SYSTEM, Actor
from core.audit import services as audit
from core.entities.models import Site
from core.entities.site_cache import site_change
from core.i18n import N_
from core.i18n import gettext as _
from core.problems import Problem
from core.validation import message_for

log = logging.getLogger("frontdesk.site_settings")

SITE_MANAGE = "core.site.manage"
HOOK = "register_site_settings"


class _MoneyMark:
    """Marks an amount field: a string read by ``core.money`` in the site's currency."""

    def __repr__(self) -> str:
        return "MONEY"


MONEY = _MoneyMark()
#: An amount in the site's currency, as text ("5000", "12.50"); never a float.
Money = Annotated[str, Field(max_length=40), MONEY]


def _window(value: Any) -> Any:
    """Opening hours of a day: ["09:00", "18:00"], "09:00-18:00", or closed (None, "", [])."""
    if value in (None, "", [], ()):
        return None
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        value = [piece.strip() for part in value for piece in part.replace("-", ",").split(",") if piece.strip()]
    return value


HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
def _ordered(value: Any) -> Any:
    if value is not None and value[0] >= value[1]:
        raise ValueError(_("The opening time must come before the closing time."))
    return value


#: A day's opening hours, [opens, closes] as "HH:MM", or None when closed.
Window = Annotated[tuple[HHMM, HHMM] | None, BeforeValidator(_window), AfterValidator(_ordered)]


class SettingsModel(BaseModel):
    """Base for a group's model: unknown keys refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_default=False)


@dataclass(frozen=True)
class SettingGroup:
    """A plugin's settings: ``key`` names them in ``Site.settings``, the API and the page."""

    key: str
    label: Any
    model: type[BaseModel]
    #: Core's group: its keys sit at the top level of ``Site.settings`` (where the SLA
    #: calendar always read them), not under ``Site.settings[key]``.
    at_root: bool = False
    #: Checks that need the site (``check(site, model, keys) -> [(path, message)]``), run
    #: on the keys being changed after the model accepted them.
    check: Callable[[Any, BaseModel, set[str]], list[tuple[str, str]]] | None = None


def groups(host) -> list[SettingGroup]:
    """Every group the loaded plugins declare, in load order, then core's ``desks``
    (which desks the site uses, built from the desks the plugins declare: ``core.desks``)."""
    from core import desks  # it builds its group with this module's classes

    desk_group = desks.settings_group(host)
    return [*host.collect(HOOK), *([desk_group] if desk_group is not None else [])]


def _stored(site: Any, group: SettingGroup) -> dict[str, Any]:
    settings = getattr(site, "settings", None) or {}
    raw = settings if group.at_root else settings.get(group.key)
    if not isinstance(raw, dict):
        return {}
    return {key: value for key, value in raw.items() if key in group.model.model_fields}


def effective(site: Any, group: SettingGroup) -> BaseModel:
    """The group's settings at ``site``: stored values over the defaults. A stored value
    the model refuses reads as its default (logged)."""
    stored = _stored(site, group)
    while True:
        try:
            return group.model.model_validate(stored)
        except ValidationError as error:
            bad = {item["loc"][0] for item in error.errors() if item["loc"]} & stored.keys()
            if not bad:
                return group.model()
            log.warning("site %s: stored settings %s of %s are invalid; their defaults apply",
                        getattr(site, "code", "?"), sorted(bad), group.key)
            stored = {key: value for key, value in stored.items() if key not in bad}


def value(site: Any, group: SettingGroup, key: str) -> Any:
    """One setting of ``group`` at ``site`` (stored, else its default)."""
    return getattr(effective(site, group), key)


# --- What a field is, for the API, the page and the CLI -----------------------------------


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(options) == 1:
            return options[0]
    return annotation


def kind_of(field: Any) -> str:
    """bool, integer, number, money, text, choice (one of some words), list, object (a
    nested model) or json (other)."""
    if MONEY in field.metadata:
        return "money"
    annotation = _unwrap(field.annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal and all(isinstance(arg, str) for arg in typing.get_args(annotation)):
        return "choice"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "integer"
    if annotation in (float, Decimal):
        return "number"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    if origin in (list, tuple, set, frozenset):
        return "list"
    if annotation in (str, dt.date, dt.time):
        return "text"
    return "json"


def bounds(field: Any) -> tuple[Any, Any]:
    """The field's ``ge``/``le`` (or ``gt``/``lt``), else None."""
    low = high = None
    for item in field.metadata:
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        low = getattr(item, "gt", None) if getattr(item, "gt", None) is not None else low
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
        high = getattr(item, "lt", None) if getattr(item, "lt", None) is not None else high
    return low, high


def label_of(name: str, field: Any) -> str:
    return _(field.title) if field.title else name.replace("_", " ")


def choices_of(field: Any) -> list[tuple[str, str]]:
    """A choice field's values with their words (``json_schema_extra["choices"]``: value to
    msgid; a value without words shows as itself)."""
    labels = (field.json_schema_extra or {}).get("choices", {}) if isinstance(field.json_schema_extra, dict) else {}
    return [(value, _(labels[value]) if value in labels else value)
            for value in typing.get_args(_unwrap(field.annotation))]


def help_of(field: Any) -> str:
    return _(field.description) if field.description else ""


def dumped(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def describe(site: Any, host) -> list[dict[str, Any]]:
    """Every group at ``site``: each key's value, default, kind, bounds, label and help."""
    described = []
    for group in groups(host):
        current, defaults = dumped(effective(site, group)), dumped(group.model())
        items = []
        for name, field in group.model.model_fields.items():
            low, high = bounds(field)
            items.append({"key": name, "label": label_of(name, field), "help": help_of(field),
                          "type": kind_of(field), "minimum": low, "maximum": high,
                          "value": current[name], "default": defaults[name]})
        described.append({"group": group.key, "label": _(str(group.label)), "settings": items,
                          "json_schema": group.model.model_json_schema()})
    return described


# --- Validation messages ------------------------------------------------------------------


def _message(item: dict[str, Any], money: bool) -> str:
    """``core.validation``'s message, with the two that only settings have."""
    if money and item["type"] == "string_type":
        return _("Send the amount as text such as \"5000\", not as a number.")
    if item["type"] == "extra_forbidden":
        return _("Unknown setting.")
    return message_for(item)


def _problem(errors: list[tuple[str, str]]) -> Problem:
    listed = [{"field": path, "message": message} for path, message in errors]
    return Problem(422, _("Invalid settings: %(fields)s", fields=", ".join(path for path, _m in errors)),
                   errors=listed)


def _validate_group(site: Any, group: SettingGroup, given: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The given keys as they would be stored, or the errors naming ``<group>.<key>``."""
    if not isinstance(given, dict):
        return {}, [(group.key, _("Send a group's settings as an object of key to value."))]
    fields = group.model.model_fields
    errors = [(f"{group.key}.{key}", _("Unknown setting.")) for key in given if key not in fields]
    known = {key: given[key] for key in given if key in fields}
    try:
        model = group.model.model_validate({**dumped(effective(site, group)), **known})
    except ValidationError as error:
        for item in error.errors(include_url=False):
            loc = [str(part) for part in item["loc"]]
            if not loc or loc[0] not in known:
                continue
            money = MONEY in fields[loc[0]].metadata
            errors.append((".".join([group.key, *loc]), _message(item, money)))
        return {}, errors
    for key in known:
        if MONEY in fields[key].metadata:
            errors.extend(_money_error(site, f"{group.key}.{key}", getattr(model, key)))
    if group.check is not None and not errors:
        errors.extend(group.check(site, model, set(known)))
    values = dumped(model)
    return {key: values[key] for key in known}, errors


def _money_error(site: Any, path: str, amount: str) -> list[tuple[str, str]]:
    from core.money import parse_money

    try:
        parse_money(amount, site.currency, path, allow_zero=True)
    except Problem as problem:
        return [(path, (problem.errors or [{"message": problem.detail}])[0]["message"])]
    return []


def _check_access(actor: Actor, site: Site) -> None:
    # Another site's settings are not found, like a site that does not exist.
    if not actor.can_at(site.id, SITE_MANAGE):
        raise Problem(404, _("No site %(code)s.", code=site.code))


async def read(site: Site, host, *, actor: Actor = SYSTEM) -> tuple[Site, list[dict[str, Any]]]:
    """The site as stored now (its ``version``) and every group's settings."""
    _check_access(actor, site)
    fresh = await Site.get(id=site.id)
    return fresh, describe(fresh, host)


def _stale(site: Site, host) -> Problem:
    return Problem(409, _("Someone changed this site's settings since you read them. Reload and try again."),
                   current={"version": site.version, "groups": describe(site, host)})


async def change(site: Site, values: Any, version: int, host, *, actor: Actor = SYSTEM) -> Site:
    """Change some keys of some groups: ``{"cashier": {"refund_approval_limit": "5000"}}``.

    All or nothing: every error is named (``<group>.<key>``) and nothing is written while
    one remains; a ``version`` other than the site's is 409. The audit entry holds the
    before and after of the keys whose value changed (``site.settings.update``).
    """
    _check_access(actor, site)
    fresh = await Site.get(id=site.id)
    if not isinstance(values, dict) or not values:
        raise _problem([("values", _("Name at least one setting to change."))])
    by_key = {group.key: group for group in groups(host)}
    errors: list[tuple[str, str]] = []
    plan: list[tuple[SettingGroup, dict[str, Any]]] = []
    for group_key, given in values.items():
        group = by_key.get(group_key)
        if group is None:
            errors.append((str(group_key), _("No settings group %(group)s.", group=group_key)))
            continue
        accepted, found = _validate_group(fresh, group, given)
        errors.extend(found)
        plan.append((group, accepted))
    if errors:
        raise _problem(errors)
    if fresh.version != version:
        raise _stale(fresh, host)
    settings = copy.deepcopy(fresh.settings or {})
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for group, accepted in plan:
        current = dumped(effective(fresh, group))
        place = settings if group.at_root else settings.setdefault(group.key, {})
        if not isinstance(place, dict):
            place = settings[group.key] = {}
        for key, new in accepted.items():
            place[key] = new
            if current[key] != new:
                before[f"{group.key}.{key}"], after[f"{group.key}.{key}"] = current[key], new
    if not after:
        return fresh  # nothing differs: no new version, no audit entry
    # Every process forgets the site at the commit: the next request anywhere obeys it.
    async with site_change(fresh.code):
        updated = await Site.filter(id=fresh.id, version=version).update(settings=settings, version=version + 1)
        if not updated:
            await fresh.refresh_from_db()
            raise _stale(fresh, host)
        await audit.record("site.settings.update", actor=actor.user, site_id=fresh.id, object_type="site",
                           object_id=fresh.id, before=before, after=after, client_address=actor.client_address)
    await fresh.refresh_from_db()
    return fresh


# --- Text in, values out: the page's fields and the CLI's --set ---------------------------


def as_text(value: Any, kind: str) -> str:
    """A value as a form field or the CLI shows it."""
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind == "list":
        return ", ".join("-".join(item) if isinstance(item, (list, tuple)) else str(item) for item in value)
    if kind in ("json", "object"):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def from_text(text: str, kind: str, path: str) -> Any:
    """Typed text (a form field, ``--set``) as the value the model checks; the model
    gives the messages, except for JSON that does not parse."""
    text = text.strip()
    if kind == "bool":
        return text.lower() in ("on", "true", "yes", "1")
    if kind == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind in ("json", "object"):
        try:
            return json.loads(text) if text else {}
        except ValueError:
            raise _problem([(path, _("Enter JSON such as {\"TWD\": [\"1000\", \"500\"]}."))]) from None
    return text


def form_fields(group: SettingGroup, model: type[BaseModel] | None = None, prefix: str = "") -> list[dict[str, Any]]:
    """The page's fields of a group: ``name`` (``group.key[.sub]``), label, help, kind,
    bounds; a nested model is a fieldset (``fields``)."""
    model = model or group.model
    prefix = prefix or group.key
    found = []
    for name, field in model.model_fields.items():
        kind = kind_of(field)
        low, high = bounds(field)
        entry = {"name": f"{prefix}.{name}", "label": label_of(name, field), "help": help_of(field),
                 "kind": kind, "min": low, "max": high}
        if kind == "choice":
            entry["choices"] = choices_of(field)
        if kind == "object":
            entry["fields"] = form_fields(group, _unwrap(field.annotation), f"{prefix}.{name}")
        found.append(entry)
    return found


def leaf_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    leaves = []
    for field in fields:
        leaves.extend(leaf_fields(field["fields"]) if field["kind"] == "object" else [field])
    return leaves


def form_texts(site: Any, group: SettingGroup) -> dict[str, str]:
    """The group's current values as the page's field texts, by field name."""
    texts: dict[str, str] = {}

    def walk(values: dict[str, Any], fields: list[dict[str, Any]]) -> None:
        for field in fields:
            current = values.get(field["name"].rsplit(".", 1)[1])
            if field["kind"] == "object":
                walk(current or {}, field["fields"])
            else:
                texts[field["name"]] = as_text(current, field["kind"])

    walk(dumped(effective(site, group)), form_fields(group))
    return texts


def from_texts(site: Any, host, texts: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``{"cashier.refund_approval_limit": "5000", "core.business_hours.sat": "10:00-14:00"}``
    as ``change``'s values; a path that names no setting is a 422 naming it. A nested
    key (``core.business_hours.sat``) changes that part of the key's current value."""
    by_key = {group.key: group for group in groups(host)}
    values: dict[str, dict[str, Any]] = {}
    errors: list[tuple[str, str]] = []
    for path, text in texts.items():
        parts = path.split(".")
        group = by_key.get(parts[0])
        model = group.model if group else None
        if group is None or len(parts) < 2 or parts[1] not in model.model_fields:
            errors.append((path, _("Unknown setting.")))
            continue
        key, rest = parts[1], parts[2:]
        field = model.model_fields[key]
        if not rest:
            try:
                values.setdefault(group.key, {})[key] = from_text(text, kind_of(field), path)
            except Problem as problem:
                errors.extend((item["field"], item["message"]) for item in problem.errors)
            continue
        # A part of a nested key: start from what is given already, else the current value.
        target = values.setdefault(group.key, {}).setdefault(key, None)
        if not isinstance(target, dict):
            target = values[group.key][key] = dict(getattr(effective(site, group), key).model_dump(mode="json")
                                                   if kind_of(field) == "object" else {})
        inner = _unwrap(field.annotation)
        for part in rest[:-1]:
            if not (isinstance(inner, type) and issubclass(inner, BaseModel)) or part not in inner.model_fields:
                inner = None
                break
            target = target.setdefault(part, {})
            inner = _unwrap(inner.model_fields[part].annotation)
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)) or rest[-1] not in inner.model_fields:
            errors.append((path, _("Unknown setting.")))
            continue
        try:
            target[rest[-1]] = from_text(text, kind_of(inner.model_fields[rest[-1]]), path)
        except Problem as problem:
            errors.extend((item["field"], item["message"]) for item in problem.errors)
    if errors:
        raise _problem(errors)
    return values


# --- API shapes ---------------------------------------------------------------------------


class SettingOut(BaseModel):
    key: str
    label: str
    help: str
    #: bool, integer, number, money (text read in the site's currency), text, choice (one of the
    #: schema's ``enum``), list, object, json.
    type: str
    minimum: int | float | None = None
    maximum: int | float | None = None
    #: The value in use (stored, else the default) and the default: JSON of the key's
    #: type (``json_schema`` of the group says which).
    value: Any = None
    default: Any = None


class SettingGroupOut(BaseModel):
    group: str
    label: str
    settings: list[SettingOut]
    #: The group's JSON schema (every key's type and constraints).
    json_schema: dict[str, Any]


class SiteSettingsOut(BaseModel):
    site: str
    #: The site's version: send it back with a change.
    version: int
    groups: list[SettingGroupOut]


class SiteSettingsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    #: ``{"<group>": {"<key>": value}}``; keys not named keep their values.
    values: dict[str, Any]


def settings_out(site: Site, described: list[dict[str, Any]]) -> dict[str, Any]:
    return {"site": site.code, "version": site.version, "groups": described}


# --- Core's own group: the calendar SLA clocks count in -----------------------------------

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WORKDAY = ("09:00", "18:00")


class BusinessHours(SettingsModel):
    """Opening hours per weekday; a day not given is closed."""

    mon: Window = Field(None, title=N_("Monday"))
    tue: Window = Field(None, title=N_("Tuesday"))
    wed: Window = Field(None, title=N_("Wednesday"))
    thu: Window = Field(None, title=N_("Thursday"))
    fri: Window = Field(None, title=N_("Friday"))
    sat: Window = Field(None, title=N_("Saturday"))
    sun: Window = Field(None, title=N_("Sunday"))

    @model_validator(mode="after")
    def _open_some_day(self) -> "BusinessHours":
        # A week without opening hours would leave deadlines in business hours unreachable.
        if all(getattr(self, day) is None for day in DAYS):
            raise ValueError(_("Open on at least one day of the week."))
        return self


class CoreSettings(SettingsModel):
    business_hours: BusinessHours = Field(
        default_factory=lambda: BusinessHours(**{day: _WORKDAY for day in DAYS[:5]}),
        title=N_("Business hours"),
        description=N_("Opening hours per weekday, as 09:00-18:00; blank is closed. Deadlines in business hours "
                       "count only these."))
    holidays: list[dt.date] = Field(
        default_factory=list, max_length=400, title=N_("Holidays"),
        description=N_("Days closed although the weekday is open, as 2026-12-25, separated by commas."))


CORE_GROUP = SettingGroup("core", N_("Site"), CoreSettings, at_root=True)
