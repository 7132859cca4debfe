"""Apps under test: in-process by default, a real uvicorn on loopback where that is the point.

``server`` / ``demo_server`` (and ``make_app`` / ``make_demo_app``) drive the app in the
test's process: each request goes through the app's ASGI interface, in the app's own event
loop, with its lifespan run as a server would run it. Status codes, headers, cookies,
CSRF tokens, redirects and the client address (127.0.0.1) are the real ones; only the
socket is missing, which saves starting and stopping a server for every test.

``live_server`` / ``live_demo_server`` (and ``make_live_app`` / ``make_live_demo_app``)
serve the app with uvicorn on a free loopback port, for what needs a socket: a browser,
an endless event stream read while others write, an outside HTTP client.

Both kinds offer the same methods: ``client()``, ``sign_in(username)``,
``api_client(username)`` and ``call(coroutine_function, ...)``.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import re
import socket
import threading
import time
from types import ModuleType
from typing import Any, Awaitable, Callable, Iterable, Iterator

import httpx
import pytest

from core.testing.databases import migrate_database, run_async, settings_for

DEMO_PASSWORD = "frontdesk-demo"


def hidden_csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', html)
    if not match:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)


class AppUnderTest(abc.ABC):
    """What both kinds of test server offer; subclasses say how a request travels."""

    app: Any
    url: str

    def __init__(self) -> None:
        self.clients: list[httpx.Client] = []

    @abc.abstractmethod
    def _client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client whose requests reach this app."""

    @abc.abstractmethod
    def _run_in_app_loop(self, coroutine: Awaitable[Any]) -> Any:
        """Run a coroutine in the app's event loop and return its result."""

    def client(self, **kwargs: Any) -> httpx.Client:
        """A new HTTP client for this app (English unless told otherwise)."""
        headers = {"Accept-Language": "en", **kwargs.pop("headers", {})}
        client = self._client(headers=headers, **kwargs)
        self.clients.append(client)
        return client

    def sign_in(self, username: str, password: str = DEMO_PASSWORD, **kwargs: Any) -> httpx.Client:
        """A browser-like client signed in through the sign-in form. Its ``csrf`` attribute
        holds the session's CSRF token; ``client.form_post(url, data)`` adds it."""
        client = self.client(**kwargs)
        anonymous_token = hidden_csrf(client.get("/login").text)
        response = client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": anonymous_token, "next": "/"})
        if response.status_code != 303:
            raise AssertionError(f"sign-in as {username} failed: {response.status_code}")
        # "/" sends a signed-in person on to their desk's page; their account page is the
        # same for everyone and cheap to render.
        client.csrf = hidden_csrf(client.get("/account").text)  # type: ignore[attr-defined]
        client.form_post = lambda url, data=None, **kw: client.post(  # type: ignore[attr-defined]
            url, data={"csrf_token": client.csrf, **(data or {})}, **kw)
        return client

    def api_client(self, username: str, password: str = DEMO_PASSWORD, **kwargs: Any) -> httpx.Client:
        """A client holding a bearer token for ``username`` (as scripts and apps use)."""
        response = self.client().post("/api/v1/auth/token", json={"username": username, "password": password})
        if response.status_code != 201:
            raise AssertionError(f"token for {username} refused: {response.status_code} {response.text}")
        token = response.json()["token"]
        client = self.client(headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}, **kwargs)
        client.token = token  # type: ignore[attr-defined]
        return client

    def call(self, function: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """Run ``await function(*args, **kwargs)`` in the app's loop and database context."""
        from tortoise.context import _current_context

        from core import i18n

        async def in_context():
            token = _current_context.set(self.app.state.db_context)
            i18n.activate(self.app.state.catalogs, "en")
            try:
                return await function(*args, **kwargs)
            finally:
                _current_context.reset(token)

        return self._run_in_app_loop(in_context())

    def stop(self) -> None:
        for client in self.clients:
            client.close()


# --- In-process ----------------------------------------------------------------------


class _PortalTransport(httpx.BaseTransport):
    """A synchronous httpx transport that hands each request to the app's event loop.

    httpx's own ASGITransport is asynchronous only; the tests are synchronous (and may
    run Playwright's loop in their thread), so requests cross into the app's loop thread
    through anyio's blocking portal, which is safe to call from any thread."""

    def __init__(self, app: Any, portal: Any, client_address: tuple[str, int]):
        self.portal = portal
        # raise_app_exceptions=False: an unhandled error is the 500 a real server sends.
        self.asgi = httpx.ASGITransport(app=app, client=client_address, raise_app_exceptions=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes, dict]:
            response = await self.asgi.handle_async_request(request)
            body = await response.aread()
            return response.status_code, response.headers.raw, body, response.extensions

        status, headers, body, extensions = self.portal.call(send)
        return httpx.Response(status, headers=headers, content=body, extensions=extensions, request=request)


@contextlib.asynccontextmanager
async def _lifespan(app: Any):
    """The real ASGI lifespan protocol, as uvicorn runs it (made inside the app's loop,
    where asgi-lifespan's events belong): a start-up error is raised, as it stops a server."""
    from asgi_lifespan import LifespanManager

    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        yield


class InProcessApp(AppUnderTest):
    """The app driven in this process, with its lifespan, in an event loop of its own."""

    #: Requests carry this host; nothing listens there (use a live server for a socket).
    url = "http://127.0.0.1"
    _ports = itertools.count(40000)

    def __init__(self, app: Any):
        super().__init__()
        from anyio.from_thread import start_blocking_portal

        self.app = app
        self._exit = contextlib.ExitStack()
        self.portal = self._exit.enter_context(start_blocking_portal("asyncio"))
        try:
            self._exit.enter_context(self.portal.wrap_async_context_manager(_lifespan(app)))
        except BaseException:
            self._exit.close()
            raise

    def _client(self, **kwargs: Any) -> httpx.Client:
        # Each client has an address of its own, like a browser's ephemeral port.
        transport = _PortalTransport(self.app, self.portal, ("127.0.0.1", next(self._ports)))
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.url, transport=transport, follow_redirects=False, **kwargs)

    def _run_in_app_loop(self, coroutine: Awaitable[Any]) -> Any:
        async def run():
            return await coroutine

        return self.portal.call(run)

    def stop(self) -> None:
        super().stop()
        self._exit.close()


# --- A real server on loopback --------------------------------------------------------


class LiveServer(AppUnderTest):
    """An app served by uvicorn in a background thread, on 127.0.0.1 and a free port."""

    def __init__(self, app: Any):
        super().__init__()
        import uvicorn

        self.app = app
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, lifespan="on", log_level="warning", loop="asyncio", http="h11",
                                timeout_graceful_shutdown=2, proxy_headers=False)
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, name=f"frontdesk-test-server-{self.port}", daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.serve(sockets=[self.socket]))
        except BaseException as error:  # reported to the test thread by start()
            self.error = error
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"test server did not start: {self.error!r}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        super().stop()
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()

    def _client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.url, follow_redirects=False, **kwargs)

    def _run_in_app_loop(self, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)


# --- Builders and fixtures ------------------------------------------------------------


def _app_builder(database_url: str, live: bool):
    started: list[AppUnderTest] = []

    def build(extra_plugins: Iterable[ModuleType] = (), migrate: bool = True,
              allow_pending_migrations: bool = False, **settings: Any) -> AppUnderTest:
        from core.app import create_app

        extra_plugins = list(extra_plugins)
        if extra_plugins and migrate:
            run_async(migrate_database(database_url, extra_plugins))
        app = create_app(settings_for(database_url, **settings), extra_plugins=extra_plugins,
                         allow_pending_migrations=allow_pending_migrations)
        server = LiveServer(app).start() if live else InProcessApp(app)
        started.append(server)
        return server

    return build, started


@contextlib.contextmanager
def _serving(database_url: str, live: bool) -> Iterator[Callable[..., AppUnderTest]]:
    build, started = _app_builder(database_url, live)
    try:
        yield build
    finally:
        for server in reversed(started):
            server.stop()


@pytest.fixture
def make_app(database_url) -> Iterator[Callable[..., AppUnderTest]]:
    """Build an app on this test's database, driven in-process; stopped after the test.

    ``make_app(extra_plugins=[module], **settings)``: the extra plugins are registered for
    this app only and their migrations applied to this test's database first (unless
    ``migrate=False``, to test what happens with pending migrations).
    """
    with _serving(database_url, live=False) as build:
        yield build


@pytest.fixture
def make_demo_app(demo_database_url) -> Iterator[Callable[..., AppUnderTest]]:
    """Like ``make_app``, on a copy of the demo database."""
    with _serving(demo_database_url, live=False) as build:
        yield build


@pytest.fixture
def server(make_app) -> AppUnderTest:
    """The standard app (core and the installed plugins), in-process, for this test."""
    return make_app()


@pytest.fixture
def demo_server(make_demo_app) -> AppUnderTest:
    """The standard app on the demo data, in-process: ``demo_server.sign_in("agent")``."""
    return make_demo_app()


@pytest.fixture
def client(server) -> httpx.Client:
    return server.client()


@pytest.fixture
def make_live_app(database_url) -> Iterator[Callable[..., LiveServer]]:
    """Like ``make_app``, served by uvicorn on a loopback port (``.url``)."""
    with _serving(database_url, live=True) as build:
        yield build


@pytest.fixture
def make_live_demo_app(demo_database_url) -> Iterator[Callable[..., LiveServer]]:
    """Like ``make_demo_app``, served by uvicorn on a loopback port (``.url``)."""
    with _serving(demo_database_url, live=True) as build:
        yield build


@pytest.fixture
def live_server(make_live_app) -> LiveServer:
    """The standard app served on loopback: for browsers, streams and outside clients."""
    return make_live_app()


@pytest.fixture
def live_demo_server(make_live_demo_app) -> LiveServer:
    """The demo app served on loopback: for browsers, streams and outside clients."""
    return make_live_demo_app()
