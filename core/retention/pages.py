"""The retention page for administrators: the policy in force, the last runs and the
archived audit months. Read-only: the policy is settings (config/default.toml), the job
runs on its own (or ``frontdesk retention run``). It covers every site, so its permission
is granted to no role by default: super-administrators see it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from core.clock import rfc3339
from core.retention import services
from core.retention.plugin import READ
from core.web.routing import page_route
from core.web.templating import render


async def retention_page(request: Request) -> Response:
    settings = request.app.state.settings
    runs = [{"run": run, "started": rfc3339(run.started_at),
             "finished": rfc3339(run.finished_at) if run.finished_at else "",
             "removed": sorted((run.removed or {}).items())} for run in await services.last_runs(20)]
    archives = [{"archive": archive, "created": rfc3339(archive.created_at)}
                for archive in await services.archived_months(24)]
    return render(request, "core/admin/retention.html", {
        "policy": services.policy(settings), "every_hours": settings.retention_every_hours,
        "runs": runs, "archives": archives,
    })


def routes():
    return [page_route("/admin/retention", retention_page, permission=READ)]
