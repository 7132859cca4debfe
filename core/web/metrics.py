"""``/metrics``: request counts and latencies in the Prometheus text format.

Each app has its own registry (tests run several apps in one process). Requests are
labelled by route *template* (``/api/v1/sites/{site}/tasks/{id:int}``), never by the raw
path, so ids and site codes cannot blow up the number of series. With several worker
processes, each answers for itself; scrape each worker, or aggregate at the proxy.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("frontdesk_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("frontdesk_http_request_seconds", "Time to answer an HTTP request",
                                 ["method", "route"], buckets=BUCKETS, registry=self.registry)


def route_template(scope: Scope) -> str:
    routed = scope.get("route")  # where Starlette's router sent the request (no second matching)
    if routed is not None:
        return getattr(routed, "path", "") or "other"
    for route in scope["app"].router.routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", "") or "other"
    return "unmatched"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def remember_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            self.observe(scope, status["code"], time.perf_counter() - started)

    @staticmethod
    def observe(scope: Scope, status: int, seconds: float) -> None:
        metrics: Metrics = scope["app"].state.metrics
        route = route_template(scope)
        if route.endswith("/events"):
            return  # a live stream lasts as long as the browser stays: not a latency
        metrics.requests.labels(scope["method"], route, str(status)).inc()
        metrics.latency.labels(scope["method"], route).observe(seconds)


async def metrics_endpoint(request: Request) -> Response:
    """Counters and latency histograms of this worker, Prometheus text format."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
