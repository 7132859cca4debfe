"""Shown names of the stored kinds of sites, units and parties (pages show these, the API
the stored values)."""

from core.i18n import lazy_gettext as _l

SITE_KIND_LABELS = {
    "residential": _l("Residential estate"),
    "hotel": _l("Hotel"),
    "call_centre": _l("Call centre"),
    "office": _l("Office"),
    "retail": _l("Retail"),
    "other": _l("Other"),
}

UNIT_KIND_LABELS = {
    "apartment": _l("Apartment"),
    "room": _l("Room"),
    "shop": _l("Shop"),
    "parking": _l("Parking space"),
    "office": _l("Office"),
    "storage": _l("Storage"),
    "common_area": _l("Common area"),
    "other": _l("Other"),
}

PARTY_KIND_LABELS = {
    "person": _l("Person"),
    "organisation": _l("Organisation"),
}
