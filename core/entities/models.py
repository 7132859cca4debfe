"""Site, Unit and Party.

A ``Site`` is the boundary between customers of the platform (a residential estate, a
hotel, a call centre); everything else belongs to exactly one site.
"""

from tortoise import fields
from tortoise.models import Model

SITE_KINDS = ("residential", "hotel", "call_centre", "office", "retail", "other")
UNIT_KINDS = ("apartment", "room", "shop", "parking", "office", "storage", "common_area", "other")
PARTY_KINDS = ("person", "organisation")


class Site(Model):
    id = fields.IntField(primary_key=True)
    #: Short, URL-safe, unique: ``/api/v1/sites/{code}/``.
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=20)
    #: IANA time zone in which times are shown and business hours counted.
    timezone = fields.CharField(max_length=64, default="Asia/Taipei")
    #: ISO 4217 code. Money at this site is kept in this currency's decimals.
    currency = fields.CharField(max_length=3, default="TWD")
    default_language = fields.CharField(max_length=10, default="zh_Hant")
    #: Per-site settings that plugins read (business hours, holidays, targets).
    settings = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_site"
        ordering = ["code"]


class Unit(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="units", on_delete=fields.RESTRICT)
    code = fields.CharField(max_length=40)
    kind = fields.CharField(max_length=20)
    building = fields.CharField(max_length=60, default="")
    floor = fields.CharField(max_length=10, default="")
    name = fields.CharField(max_length=200, default="")
    notes = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_unit"
        unique_together = (("site", "code"),)
        ordering = ["building", "code"]


class Party(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="parties", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=20, default="person")
    #: Phone numbers as entered, normalised to digits (with a leading + kept).
    phones = fields.JSONField(default=list)
    #: The normalised numbers joined by spaces, so ``?q=`` finds a party by any of them.
    phone_index = fields.CharField(max_length=400, default="", db_index=True)
    email = fields.CharField(max_length=254, default="")
    notes = fields.TextField(default="")
    #: The language messages to them are written in (empty: the site's).
    preferred_language = fields.CharField(max_length=10, default="")
    #: The channel messages to them go by when none is asked for (empty: SMS, then e-mail).
    preferred_channel = fields.CharField(max_length=20, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_party"
        ordering = ["name", "id"]


class CodeListItem(Model):
    """One code of a managed list at a site (a complaint's category or cause, ...).

    The lists themselves are declared by plugins (``register_code_lists``), so they have no
    row: a site's items are its declared defaults, stored on first use, plus what its
    administrators add. Codes are never deleted, only deactivated: old records keep them."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="code_list_items", on_delete=fields.RESTRICT)
    #: The declared list's name (``resident.complaint_category``).
    list_name = fields.CharField(max_length=80)
    code = fields.CharField(max_length=40)
    #: A built-in default's label is an English msgid shown through gettext, a site's own
    #: (added or renamed) label is shown as written.
    label = fields.CharField(max_length=200)
    builtin = fields.BooleanField(default=False)
    active = fields.BooleanField(default=True)
    position = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_code_list_item"
        unique_together = (("site", "list_name", "code"),)
        ordering = ["position", "id"]
