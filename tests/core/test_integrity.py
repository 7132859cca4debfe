"""`frontdesk integrity`: the database's check, core's invariants and the plugins' checks."""

import types

from core import PluginMeta, hookimpl
from core.integrity import problems_of, run_checks
from core.tasks.models import Task
from tests.core.tasks.conftest import new_task


def _check(server):
    return problems_of(server.call(run_checks, server.app.state.host, server.app.state.settings.is_sqlite))


def test_whole_data_has_no_problems(demo_server):
    new_task(demo_server.api_client("agent"))
    assert _check(demo_server) == []


def test_a_task_written_without_its_history_is_found(demo_server):
    async def half_written():
        from core.entities.models import Site

        await Task.create(site=await Site.get(code="harbour"), type="core.general", title="orphan", status="open")

    demo_server.call(half_written)
    problems = _check(demo_server)
    assert "core.tasks: 1 task(s) without their 'created' event" in problems
    assert "core.tasks: 1 task(s) without their audit entry" in problems


def test_hook_register_integrity_checks(make_demo_app):
    async def ledger_balances():
        return ["ledger of shift 7 is off by 100.00"]

    async def broken():
        raise RuntimeError("bug")

    module = types.ModuleType("checker")
    module.meta = PluginMeta(name="checker", version="1")
    module.register_integrity_checks = hookimpl(lambda: [ledger_balances, broken])
    module.register_integrity_checks.__name__ = "register_integrity_checks"
    server = make_demo_app(extra_plugins=[module])
    problems = _check(server)
    assert "checker.ledger_balances: ledger of shift 7 is off by 100.00" in problems
    assert any(problem.startswith("checker.broken: the check failed") for problem in problems)
