"""One test per hook in core/hookspecs.py (a meta-test below keeps it so), each through
a plugin registered for that test only."""

import ast
import inspect
import re
import subprocess
import sys
import types

from core import PluginMeta, hookimpl, hookspecs
from core.menu import MenuItem
from core.permissions import PUBLIC, Permission
from core.settings import PROJECT_ROOT
from core.web.api import api_route
from core.web.routing import page_route


def plugin(name, **hooks):
    module = types.ModuleType(f"hook_test_{name}")
    module.meta = PluginMeta(name=name, version="1.0", core_requires=">=0.1")
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module


def test_hook_register_models(make_app):
    import tests.core.parking_plugin as parking

    server = make_app(extra_plugins=[parking])
    assert "parking" in server.app.state.db_context.apps
    assert server.client().post("/api/v1/parking/permits", json={"plate": "X-1"}).status_code == 201


def test_hook_register_routes(make_app):
    from starlette.responses import PlainTextResponse

    async def hello(request):
        return PlainTextResponse("hello from a plugin page")

    server = make_app(extra_plugins=[plugin("pages", register_routes=lambda: [page_route("/pages/hi", hello, permission=PUBLIC)])])
    assert server.client().get("/pages/hi").text == "hello from a plugin page"


def test_hook_register_api_routes(make_app):
    async def ping(request):
        return {"pong": True}

    routes = [api_route("/api/v1/pinger/ping", ping, permission=PUBLIC, response=dict)]
    server = make_app(extra_plugins=[plugin("pinger", register_api_routes=lambda: routes)])
    client = server.client()
    assert client.get("/api/v1/pinger/ping").json() == {"pong": True}
    assert "/api/v1/pinger/ping" in client.get("/api/openapi.json").json()["paths"]


def test_hook_register_menu_items(make_app):
    items = [MenuItem(label="Laundry", url="/laundry/", permission=PUBLIC), MenuItem(label="Secret", url="/s/", permission="core.audit.read")]
    server = make_app(extra_plugins=[plugin("laundry", register_menu_items=lambda: items)])
    page = server.client().get("/").text
    assert '<a href="/laundry/">Laundry</a>' in page and "Secret" not in page


def test_hook_register_permissions(make_demo_app):
    permissions = [Permission("gym.visit.log", "Log gym visits", default_roles=("front_desk",))]
    server = make_demo_app(extra_plugins=[plugin("gym", register_permissions=lambda: permissions)])
    me = server.api_client("frontdesk").get("/api/v1/me").json()
    assert "gym.visit.log" in me["sites"][0]["permissions"]
    assert "gym.visit.log" not in server.api_client("cashier").get("/api/v1/me").json()["sites"][0]["permissions"]


def test_hook_register_cli_commands():
    source = (
        "import sys, types, click\n"
        "from core import PluginMeta, hookimpl\n"
        "from core import plugins\n"
        "module = types.ModuleType('cli_plugin')\n"
        "module.meta = PluginMeta(name='cliplug', version='1')\n"
        "@hookimpl\n"
        "def register_cli_commands(cli):\n"
        "    @cli.command('wave')\n"
        "    def wave():\n"
        "        click.echo('waving from a plugin')\n"
        "module.register_cli_commands = register_cli_commands\n"
        "import core.cli\n"
        "core.cli.load_host = lambda settings: plugins.load_plugins((), [module])\n"
        "sys.argv = ['frontdesk', 'wave']\n"
        "core.cli.main()\n"
    )
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "waving from a plugin", result.stderr


def test_hook_register_demo_data(database_url, make_app):
    from core.demo import load_demo
    from core.entities.models import Unit

    async def load(demo):
        await Unit.create(site=demo.sites["lotus"], code="DEMO-1", kind="room")

    server = make_app(extra_plugins=[plugin("demo_adder", register_demo_data=lambda: load)])
    server.call(load_demo, server.app.state.host)
    assert server.call(lambda: Unit.filter(code="DEMO-1").exists())


def test_hook_register_money_checks(make_demo_app):
    async def parking_fees(site):
        return ["parking permit fees"] if site.code == "plaza" else []

    async def broken(site):
        raise RuntimeError("the check cannot read its table")

    from tests.core.entities.test_site_currency import new_site

    server = make_demo_app(extra_plugins=[plugin("parkfees", register_money_checks=lambda: [parking_fees])])
    admin = server.api_client("admin")
    new_site(server, "plaza")
    new_site(server, "mall")
    refused = admin.patch("/api/v1/sites/plaza", json={"currency": "JPY", "version": 1})
    assert refused.status_code == 409 and "parking permit fees" in refused.json()["detail"]
    assert admin.patch("/api/v1/sites/mall", json={"currency": "JPY", "version": 1}).status_code == 200
    # A check that fails counts as money held: the currency stays.
    failing = make_demo_app(extra_plugins=[plugin("badcheck", register_money_checks=lambda: [broken])])
    admin = failing.api_client("admin")
    new_site(failing, "arcade")
    refused = admin.patch("/api/v1/sites/arcade", json={"currency": "JPY", "version": 1})
    assert refused.status_code == 409 and "badcheck" in refused.json()["detail"]


def test_hook_on_app_started(make_app):
    started = []
    server = make_app(extra_plugins=[plugin("starter", on_app_started=lambda app: started.append(app))])
    assert started == [server.app]


def test_hook_eligible_assignees(make_demo_app):
    """Balanced assignment gives the task only to whom the plugin allows (the rules in
    full: tests/core/tasks/test_eligibility.py)."""
    from core.identity.models import User

    agent2 = make_demo_app().call(lambda: User.get(username="agent2")).id
    server = make_demo_app(extra_plugins=[plugin("oncall", eligible_assignees=lambda candidates: [agent2])],
                           disabled_plugins=["rostering"])
    supervisor = server.api_client("supervisor")
    created = supervisor.post("/api/v1/sites/harbour/tasks", json={"type": "core.follow_up", "title": "Call back",
                                                                   "assign": "balanced"})
    assert created.status_code == 201 and created.json()["assignee_id"] == agent2


def _with_templates(server, templates):
    """Templates for a plugin built in memory (it has no folder for them)."""
    import jinja2

    environment = server.app.state.templates.env
    environment.loader = jinja2.ChoiceLoader([jinja2.DictLoader(templates), environment.loader])


def test_hook_page_panels(make_demo_app):
    from core.web.panels import Panel

    def panels(page, request):
        if page == "my_work":
            return Panel("Your duties today", "duty/today.html", {"shift": "07:00-15:00"}, url="/duty/me")
        return [Panel("Next shift", "duty/next.html", {"people": ["agent2", "<b>x</b>"]}), None]

    def broken(page):
        raise RuntimeError("the roster cannot be read")

    async def bad_template(page):
        return Panel("Broken panel", "duty/missing_variable.html")

    server = make_demo_app(extra_plugins=[plugin("duty", page_panels=panels), plugin("broken", page_panels=broken),
                                          plugin("badtpl", page_panels=bad_template)],
                           disabled_plugins=["rostering"])
    _with_templates(server, {
        "duty/today.html": "<p class=duty>{{ shift }} for {{ user.username }} at {{ site.code }}, {{ panel.title }}</p>",
        "duty/next.html": "<ul>{% for name in people %}<li>{{ name }}</li>{% endfor %}</ul>",
        "duty/missing_variable.html": "{{ no_such_variable }}",
    })
    page = server.sign_in("agent")
    mine = page.get("/sites/harbour/my-work")
    assert mine.status_code == 200
    assert '<a href="/duty/me">Your duties today</a>' in mine.text
    assert "<p class=duty>07:00-15:00 for agent at harbour, Your duties today</p>" in mine.text
    assert "Broken panel" not in mine.text  # its template failed: left out, the page shows
    handovers = page.get("/sites/harbour/handovers")
    assert handovers.status_code == 200
    assert "<h2>Next shift</h2>" in handovers.text
    assert "<li>agent2</li><li>&lt;b&gt;x&lt;/b&gt;</li>" in handovers.text  # escaped like any template


def test_hook_on_signed_in(make_demo_app, caplog):
    signed_in = []

    async def record(user, client_address):
        signed_in.append((user.username, client_address))

    def broken(user):
        raise RuntimeError("the clock-in failed")

    server = make_demo_app(extra_plugins=[plugin("broken_first", on_signed_in=broken),
                                          plugin("clock", on_signed_in=record)], disabled_plugins=["rostering"])
    assert server.sign_in("agent").get("/sites/harbour/my-work").status_code == 200  # the page sign-in
    assert server.api_client("agent2").get("/api/v1/me").status_code == 200  # the API's token
    assert [name for name, _address in signed_in] == ["agent", "agent2"]
    assert all(address for _name, address in signed_in)
    assert "broken_first" in caplog.text
    # A refused password is no sign-in.
    refused = server.client().post("/api/v1/auth/token", json={"username": "agent", "password": "wrong"})
    assert refused.status_code == 401 and len(signed_in) == 2


# --- Meta-tests: the hook reference stays true -------------------------------------------


def hook_names():
    return sorted(name for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
                  if hasattr(value, "frontdesk_spec"))


def test_every_hook_has_a_test():
    """A function named ``test_hook_<hook>`` (here, or beside the code it exercises)."""
    tests = set()
    for path in (PROJECT_ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text())
        tests |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert [name for name in hook_names() if not any(t == f"test_hook_{name}" for t in tests)] == []


def test_every_hook_is_documented_in_docs_plugins_md():
    reference = (PROJECT_ROOT / "docs" / "plugins.md").read_text()
    documented = set(re.findall(r"^### `(\w+)`", reference, flags=re.M))
    assert [name for name in hook_names() if name not in documented] == []
    assert documented <= set(hook_names()), "docs/plugins.md documents hooks that no longer exist"
