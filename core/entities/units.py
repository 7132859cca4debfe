"""Finding a unit by the code a person typed: in any case ("a-0101" is A-0101), and the
codes that start with what was typed so far, for the suggestions beside every unit field.

Both read ``UPPER(code)``, which the index ``core_unit_site_code_upper`` (migration 0018)
covers on SQLite and PostgreSQL alike, so a site with many thousand units answers from the
index, not a scan. An exact match (the unique index on site and code) is tried first: two
units whose codes differ only in case stay reachable by their exact spelling.
"""

from __future__ import annotations

from tortoise.functions import Upper

from core.entities.models import Unit

#: At most this many suggestions: enough to pick from, few enough to read on a phone.
SUGGESTIONS = 10


def code_key(text: str) -> str:
    """A typed code as it is compared: without surrounding spaces, in capitals."""
    return (text or "").strip().upper()


async def unit_by_code(site_id: int, text: str) -> Unit | None:
    """The site's unit with this code, in any case; None if there is none."""
    typed = (text or "").strip()
    if not typed:
        return None
    exact = await Unit.get_or_none(site_id=site_id, code=typed)
    if exact is not None:
        return exact
    return await (Unit.filter(site_id=site_id).annotate(code_key=Upper("code"))
                  .filter(code_key=code_key(typed)).order_by("id").first())


async def suggest_units(site_id: int, text: str, limit: int = SUGGESTIONS) -> list[dict]:
    """The site's units whose code starts with ``text`` (any case), by code: id, code,
    building and name, for a suggestion list."""
    key = code_key(text)
    if not key:
        return []
    rows = await (Unit.filter(site_id=site_id).annotate(code_key=Upper("code")).filter(code_key__startswith=key)
                  .order_by("code").limit(max(1, min(limit, 50))).values("id", "code", "building", "name"))
    return list(rows)
