"""``/metrics`` (Prometheus text format) and the one line logged per request.

Each app has its own registry (tests run several apps in one process). Requests are
labelled by route *template* (``/api/v1/sites/{site}/tasks/{id:int}``), never by the raw
path, so ids and site codes cannot blow up the number of series.

A fleet: ``frontdesk serve --workers N`` sets ``PROMETHEUS_MULTIPROC_DIR`` before the
workers start; every worker then writes its counts to files there and whichever worker
answers a scrape sums them all (prometheus_client's multiprocess mode), so ``rate()``
works whatever worker the scrape reaches. Several hosts: scrape each host.

Gauges:

- ``frontdesk_event_streams_open``: event streams being sent (sum over workers);
- ``frontdesk_db_pool_connections`` / ``..._in_use``: the PostgreSQL pool (sum; 0 on SQLite),
  as of each worker's last request or scrape;
- ``frontdesk_event_bus_connected``: 1 when the cross-process bus listens (the lowest over
  workers; always 1 on SQLite, where nothing crosses processes);
- ``frontdesk_event_bus_reconnects``: how often the bus re-made its lost connection (sum);
- ``frontdesk_outbox_lag_seconds``: how long the oldest due queued message has waited;
- ``frontdesk_overdue_job_lag_seconds``: how long the oldest task past its due time has
  waited for the overdue job to mark it.

The last two are read from the database at scrape time; more of that kind can be added
with ``Metrics.add_scrape_gauge`` (``app.state.metrics.add_scrape_gauge(name, help,
read)``, ``read(app)`` an async function returning a number or None).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import re
import time
from typing import Any, Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import logs
from core.web.authentication import peer_is_trusted_proxy
from core.web.problems import handle_unexpected

BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Seconds between two refreshes of a worker's pool and bus gauges by its own requests.
REFRESH_SECONDS = 1.0
#: Paths whose access line is DEBUG, not INFO: static files and the probes and scrapes
#: that an orchestrator sends every few seconds.
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")
#: What a trusted proxy may send as ``X-Request-ID`` (anything else: a new id).
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_log = logging.getLogger("frontdesk.access")
log = logging.getLogger("frontdesk.web")

ScrapeRead = Callable[[Any], Awaitable["float | None"]]


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_ENV) or None


_dead_at_exit = False


def _mark_dead_at_exit() -> None:
    """A worker that exits takes its live gauges (streams, pool, bus) with it."""
    global _dead_at_exit
    if _dead_at_exit:
        return
    from prometheus_client import multiprocess

    atexit.register(multiprocess.mark_process_dead, os.getpid())
    _dead_at_exit = True


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("frontdesk_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("frontdesk_http_request_seconds", "Time to answer an HTTP request",
                                 ["method", "route"], buckets=BUCKETS, registry=self.registry)
        self.streams = Gauge("frontdesk_event_streams_open", "Live event streams being sent",
                             registry=self.registry, multiprocess_mode="livesum")
        self.pool_size = Gauge("frontdesk_db_pool_connections", "Database pool connections open (PostgreSQL)",
                               registry=self.registry, multiprocess_mode="livesum")
        self.pool_in_use = Gauge("frontdesk_db_pool_connections_in_use",
                                 "Database pool connections in use (PostgreSQL)",
                                 registry=self.registry, multiprocess_mode="livesum")
        self.bus_connected = Gauge("frontdesk_event_bus_connected",
                                   "1 when events cross processes (lowest over workers)",
                                   registry=self.registry, multiprocess_mode="livemin")
        self.bus_reconnects = Gauge("frontdesk_event_bus_reconnects",
                                    "Times the event bus re-made its lost PostgreSQL connection (since each worker started)",
                                    registry=self.registry, multiprocess_mode="livesum")
        self.scrape_gauges: list[tuple[str, str, ScrapeRead]] = [
            ("frontdesk_outbox_lag_seconds", "Seconds the oldest due queued message has waited", outbox_lag),
            ("frontdesk_overdue_job_lag_seconds", "Seconds the oldest task past due has waited to be marked overdue",
             overdue_lag),
        ]
        self._refreshed = 0.0
        if multiprocess_dir():
            _mark_dead_at_exit()

    def add_scrape_gauge(self, name: str, documentation: str, read: ScrapeRead) -> None:
        """A gauge read when ``/metrics`` is scraped: ``await read(app)`` (the app, for
        its state and database) returns a number, or None to leave it out of this scrape.
        Read once per scrape by the answering worker, so it suits values the database
        holds for everyone (queue lengths, lags); keep the query cheap (an index)."""
        if any(existing == name for existing, _doc, _read in self.scrape_gauges):
            raise ValueError(f"gauge {name} is registered already")
        self.scrape_gauges.append((name, documentation, read))

    def refresh(self, app: Any, force: bool = False) -> None:
        """This worker's pool and bus gauges, at most once a second unless forced."""
        now = time.monotonic()
        if not force and now - self._refreshed < REFRESH_SECONDS:
            return
        self._refreshed = now
        pool = _asyncpg_pool()
        if pool is not None:
            size = pool.get_size()
            self.pool_size.set(size)
            self.pool_in_use.set(size - pool.get_idle_size())
        self.bus_connected.set(1 if _bus_connected(app) else 0)
        self.bus_reconnects.set(getattr(getattr(app.state, "events", None), "reconnects", 0))

    async def exposition(self, app: Any) -> bytes:
        """Every worker's counters (one file each in multiprocess mode) and this scrape's
        database gauges, in the text format."""
        self.refresh(app, force=True)
        registry = self.registry
        if directory := multiprocess_dir():
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=directory)
        values = []
        for name, documentation, read in self.scrape_gauges:
            try:
                value = await read(app)
            except Exception:
                log.warning("metrics: reading %s failed", name, exc_info=True)
                continue
            if value is not None:
                values.append(GaugeMetricFamily(name, documentation, value=float(value)))
        return generate_latest(registry) + (generate_latest(_Fixed(values)) if values else b"")


class _Fixed:
    """A registry-like collector of metric families computed for one scrape."""

    def __init__(self, families: list) -> None:
        self.families = families

    def collect(self):
        return self.families


def _asyncpg_pool():
    try:
        from tortoise.connection import get_connection

        pool = getattr(get_connection("default"), "_pool", None)
    except Exception:
        return None
    return pool if hasattr(pool, "get_idle_size") else None


def _bus_connected(app: Any) -> bool:
    if app.state.settings.is_sqlite:
        return True
    return app.state.events.crosses_processes()  # the bus's state is "connected" and its connection open


def _seconds_since(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (dt.datetime.now(dt.timezone.utc) - value).total_seconds())


async def _oldest(sql: str) -> Any:
    from tortoise.connection import get_connection

    _count, rows = await get_connection("default").execute_query(sql)
    return rows[0]["oldest"] if rows else None


async def outbox_lag(_app: Any) -> float:
    """The oldest queued message's next attempt time: when it is past, the outbox is that
    far behind (0 when nothing is due). One index lookup on (status, next_attempt_at)."""
    return _seconds_since(await _oldest("SELECT min(next_attempt_at) AS oldest FROM core_message WHERE status = 'queued'"))


async def overdue_lag(app: Any) -> float:
    """The oldest open task past its due time that the overdue job has not marked yet
    (paused states left out: the job leaves them alone)."""
    paused = sorted({state for task_type in app.state.tasks.types.values() for state in task_type.workflow.paused})
    excluded = ", ".join("'" + state.replace("'", "''") + "'" for state in paused)
    sql = "SELECT min(due_at) AS oldest FROM core_task WHERE is_open AND NOT overdue AND due_at IS NOT NULL"
    if excluded:
        sql += f" AND status NOT IN ({excluded})"
    return _seconds_since(await _oldest(sql))


def route_template(scope: Scope) -> str:
    routed = scope.get("route")  # where Starlette's router sent the request (no second matching)
    if routed is not None:
        return getattr(routed, "path", "") or "other"
    for route in scope["app"].router.routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", "") or "other"
    return "unmatched"


def request_id_for(scope: Scope) -> str:
    """The id a trusted proxy gave the request (``X-Request-ID``), else a new one."""
    if peer_is_trusted_proxy(scope):
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                given = value.decode("latin-1").strip()
                if REQUEST_ID.fullmatch(given):
                    return given
                break
    return logs.new_request_id()


class MetricsMiddleware:
    """What every request leaves behind: its id (bound for every log line inside it and
    returned as ``X-Request-ID``), one access line, its count and latency, and for an
    error nobody handled, an incident logged with its traceback under the request id
    (the 500 page and problem show it). A client that hangs up is an INFO line."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_for(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = logs.bind_request(request_id)
        response = {"status": 500, "started": False, "stream": False, "disconnected": False}
        metrics: Metrics = scope["app"].state.metrics

        async def receive_watching() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                response["disconnected"] = True
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response.update(status=message["status"], started=True)
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                if headers.get("content-type", "").startswith("text/event-stream"):
                    response["stream"] = True
                    metrics.streams.inc()
            await send(message)

        try:
            await self.app(scope, receive_watching, send_with_id)
        except ClientDisconnect:
            response["disconnected"] = True
            log.info("client went away before the request was read")
        except BaseException as error:
            if not isinstance(error, Exception):  # cancelled: quiet when the client left
                if response["disconnected"]:
                    log.info("client went away; request cancelled")
                    return
                raise
            if response["started"]:
                log.error("unhandled error after the response started", exc_info=error)
                return
            answer = await handle_unexpected(Request(scope, receive), error)
            await answer(scope, receive, send_with_id)
        finally:
            if response["stream"]:
                metrics.streams.dec()
            self.observe(scope, response, time.perf_counter() - started)
            logs.unbind_request(token)

    @staticmethod
    def observe(scope: Scope, response: dict, seconds: float) -> None:
        app = scope["app"]
        metrics: Metrics = app.state.metrics
        route = route_template(scope)
        status = response["status"] if response["started"] else (499 if response["disconnected"] else 500)
        state = scope.get("state") or {}
        user = state.get("user")
        path = scope["path"]
        quiet = path.startswith("/static/") or path in QUIET_PATHS
        milliseconds = round(seconds * 1000, 1)
        access_log.log(logging.DEBUG if quiet else logging.INFO, "%s %s %s %.1f ms", scope["method"], route, status,
                       milliseconds, extra={
                           "method": scope["method"], "route": route, "status": status, "latency_ms": milliseconds,
                           "user": getattr(user, "username", "") if user is not None else "",
                       })
        if path.startswith("/static/"):
            return
        metrics.refresh(app)
        if response["stream"] or route.endswith("/events"):
            return  # a live stream lasts as long as the browser stays: not a latency
        metrics.requests.labels(scope["method"], route, str(status)).inc()
        metrics.latency.labels(scope["method"], route).observe(seconds)


async def metrics_endpoint(request: Request) -> Response:
    """Counters, latency histograms and gauges (every worker's, summed, under
    ``serve --workers N``), Prometheus text format."""
    metrics: Metrics = request.app.state.metrics
    return Response(await metrics.exposition(request.app), media_type=CONTENT_TYPE_LATEST)
