"""The audit log for people: newest first, filtered, 100 entries a page."""

from __future__ import annotations

import datetime as dt
import json

from starlette.requests import Request
from starlette.responses import Response

from core.audit import services
from core.clock import rfc3339
from core.entities.models import Site
from core.i18n import gettext as _
from core.web.access import actor_of
from core.web.templating import render
from core.web.forms import FormErrors, offset_page, page_links, page_number
from core.web.routing import page_route

PAGE_SIZE = 100
FILTERS = {"action": 80, "actor": 64, "site": 32, "from": 10, "to": 10}


def compact(value) -> str:
    """``before``/``after`` on one line, keys sorted, non-ASCII kept readable."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _day(text: str) -> dt.datetime:
    """A YYYY-MM-DD date as the start of that day in UTC (the log stores UTC)."""
    day = dt.date.fromisoformat(text)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


async def audit_log(request: Request) -> Response:
    filters = {name: request.query_params.get(name, "")[:size].strip() for name, size in FILTERS.items()}
    errors = FormErrors()
    # Only the sites where the reader holds core.audit.read (everything, for a super-administrator).
    entries = services.visible_entries(actor_of(request))
    if filters["action"]:
        entries = entries.filter(action__startswith=filters["action"])
    if filters["actor"]:
        entries = entries.filter(actor_name=filters["actor"])
    if filters["site"]:
        site = await Site.get_or_none(code=filters["site"])
        entries = entries.filter(site_id=site.id if site else -1)
    for name, lookup, shift in (("from", "at__gte", 0), ("to", "at__lt", 1)):
        if filters[name]:
            try:
                # "to" is inclusive: everything before the next day's start.
                entries = entries.filter(**{lookup: _day(filters[name]) + dt.timedelta(days=shift)})
            except ValueError:
                errors.fields[name] = _("Enter a date as YYYY-MM-DD.")
    page = page_number(request)
    # A filter that could not be read shows nothing rather than an unfiltered log.
    rows, more = ([], False) if errors else await offset_page(entries.order_by("-id"), page, PAGE_SIZE)
    site_ids = list({row.site_id for row in rows if row.site_id})
    site_codes = dict(await Site.filter(id__in=site_ids).values_list("id", "code"))
    items = [{"entry": row, "at": rfc3339(row.at), "site": site_codes.get(row.site_id, ""),
              "before": compact(row.before), "after": compact(row.after)} for row in rows]
    return render(request, "core/admin/audit.html", {
        "items": items, "filters": filters, "errors": errors, "page": page,
        "links": page_links(request.url.path, filters, page, more),
    }, status_code=422 if errors else 200)


def routes():
    return [page_route("/admin/audit", audit_log, permission="core.audit.read")]
