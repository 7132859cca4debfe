"""Task KPIs, from the times the history recorded on each task.

``first_response_at`` and ``resolved_at`` are written from the event record as the
events happen (the first transition out of the initial state, or the first comment or
reply by someone other than the creator; the first resolving transition), so a report
over a million tasks reads one table instead of replaying ten million events.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from core.tasks.models import Task

#: Without a target of its own, a first response is on time within this many minutes.
DEFAULT_RESPONSE_MINUTES = 60


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


async def task_stats(site_id: int, types: dict, *, type_name: str | None, since: dt.datetime | None,
                     until: dt.datetime | None, response_minutes: int = DEFAULT_RESPONSE_MINUTES) -> dict[str, Any]:
    tasks = Task.filter(site_id=site_id)
    if type_name:
        tasks = tasks.filter(type=type_name)
    if since:
        tasks = tasks.filter(created_at__gte=since)
    if until:
        tasks = tasks.filter(created_at__lt=until)
    rows = await tasks.values("status", "created_at", "first_response_at", "resolved_at", "due_at")
    by_status = Counter(row["status"] for row in rows)
    responded = [row for row in rows if row["first_response_at"]]
    resolved = [row for row in rows if row["resolved_at"]]
    response_limit = dt.timedelta(minutes=response_minutes)
    on_time_responses = sum(1 for row in responded if row["first_response_at"] - row["created_at"] <= response_limit)
    on_time_resolutions = sum(1 for row in resolved if row["due_at"] is None or row["resolved_at"] <= row["due_at"])

    def average(pairs):
        values = [(end - start).total_seconds() for start, end in pairs]
        return round(sum(values) / len(values)) if values else None

    return {
        "total": len(rows),
        "by_status": dict(sorted(by_status.items())),
        "responded": len(responded),
        "resolved": len(resolved),
        "on_time_first_response_rate": _rate(on_time_responses, len(responded)),
        "on_time_resolution_rate": _rate(on_time_resolutions, len(resolved)),
        "average_seconds_to_first_response": average((r["created_at"], r["first_response_at"]) for r in responded),
        "average_seconds_to_resolve": average((r["created_at"], r["resolved_at"]) for r in resolved),
    }
