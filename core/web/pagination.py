"""Cursor pagination for API lists: ``{"items": [...], "next_cursor": "..." | null}``.

Keyset pagination on the primary key: stable while rows are added, and as fast on page
1,000 as on page 1 (an OFFSET would scan every skipped row).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable

from pydantic import BaseModel, Field
from tortoise.queryset import QuerySet

from core.i18n import gettext as _
from core.rows import fetch as rows_of
from core.rows import page as page_of
from core.problems import invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageQuery(BaseModel):
    """Query parameters every list accepts; list queries subclass it."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=100)


def filter_by(rows: QuerySet, query: BaseModel, **lookups: str) -> QuerySet:
    """``rows`` narrowed by each query field the caller gave (not None, not empty):
    ``filter_by(rows, query, kind="kind", open="task__is_open")``. Every list's filters
    follow the same rule this way, one line for all of them."""
    given = given_filters(query, **lookups)
    return rows.filter(**given) if given else rows


def given_filters(query: BaseModel, **lookups: str) -> dict[str, Any]:
    """``{lookup: value}`` for each query field the caller gave (not None, not empty)."""
    return {lookup: value for name, lookup in lookups.items()
            if (value := getattr(query, name)) is not None and value != ""}


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _sep, value = text.partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("cursor", _("This cursor was not issued by this list.")) from None


async def paginate(queryset: QuerySet, query: PageQuery, serialize: Callable[[Any], Any],
                   descending: bool = False, columns: tuple[str, ...] = ()) -> dict[str, Any]:
    """One page of ``queryset`` ordered by id, and the cursor of the next page.

    With ``columns`` the rows are plain dicts of those columns (``core.rows.fetch``: no
    model instances, for lists read on every screen refresh), else model instances."""
    if query.cursor:
        last_id = decode_cursor(query.cursor)
        queryset = queryset.filter(id__lt=last_id) if descending else queryset.filter(id__gt=last_id)
    page = queryset.order_by("-id" if descending else "id").limit(query.limit + 1)
    rows = await rows_of(page, *columns) if columns else await page
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    last = rows[-1] if rows else None
    return {
        "items": [serialize(row) for row in rows],
        "next_cursor": encode_cursor(last["id"] if columns else last.id) if more and last is not None else None,
    }


async def paginate_equal(model, columns: tuple[str, ...], query: PageQuery, serialize: Callable[[Any], Any], *,
                         site_id: int, equal: dict[str, Any], descending: bool = False) -> dict[str, Any]:
    """``paginate`` for the hottest lists, which filter by equality only: the rows of
    ``model`` at the site whose columns equal ``equal`` (``given_filters``), through
    ``core.rows.page`` (SQL written once per shape, plain rows)."""
    after = decode_cursor(query.cursor) if query.cursor else None
    rows = await page_of(model, columns, site_id=site_id, equal=equal, limit=query.limit + 1, after=after,
                         descending=descending)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {"items": [serialize(row) for row in rows],
            "next_cursor": encode_cursor(rows[-1]["id"]) if more and rows else None}
