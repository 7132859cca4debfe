"""Platform JSON routes: health, readiness, metrics and the API's own description.

Each feature of core has its own (``core.<feature>.api``), found by convention."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse

from core.database import database_answers, pending_migrations
from core.permissions import PUBLIC
from core.web.api import api_route
from core.web.metrics import metrics_endpoint
from core.web.openapi import build_openapi


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    pending_migrations: list[str]
    #: The live event bus: "local" (events stay in the process: SQLite), "connected" (they
    #: cross processes), "reconnecting" (degraded: still ready, other processes' events wait).
    events: str = "local"


async def healthz(request: Request) -> Health:
    """The process is running."""
    return Health(status="ok")


async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and no migration is pending (else 503). While
    the event bus reconnects: still 200, with ``"status": "degraded"`` and
    ``"events": "reconnecting"``."""
    if not await database_answers():
        return JSONResponse({"status": "unavailable", "database": "not answering", "pending_migrations": []}, 503)
    pending = await pending_migrations(request.app.state.host)
    if pending:
        return JSONResponse({"status": "unavailable", "database": "migrations pending", "pending_migrations": pending}, 503)
    events = request.app.state.events.state
    if events == "reconnecting":  # still serving; live events from other processes wait
        return JSONResponse({"status": "degraded", "database": "ok", "pending_migrations": [], "events": events})
    return JSONResponse({"status": "ok", "database": "ok", "pending_migrations": [], "events": events})


async def openapi_document(request: Request) -> JSONResponse:
    """This document: OpenAPI 3.1 for every JSON route."""
    state = request.app.state
    if getattr(state, "openapi", None) is None:
        operations = [route.operation for route in request.app.routes if hasattr(route, "operation")]
        state.openapi = build_openapi(operations)
    return JSONResponse(state.openapi)


def routes():
    return [
        api_route("/healthz", healthz, permission=PUBLIC, response=Health, tags=["platform"]),
        api_route("/readyz", readyz, permission=PUBLIC, response=Readiness, tags=["platform"],
                  responses={503: "Not ready: the database does not answer or migrations are pending"}),
        api_route("/api/openapi.json", openapi_document, permission=PUBLIC, response=dict, tags=["platform"]),
        api_route("/metrics", metrics_endpoint, permission="core.metrics.read", response=str, tags=["platform"],
                  media_type="text/plain"),
    ]
