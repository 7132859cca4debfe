"""`frontdesk integrity` runs the cashier's reconciliation (register_integrity_checks)."""

from core.integrity import problems_of, run_checks


def test_integrity_includes_the_ledger_reconciliation(demo_server):
    from plugins.cashier.models import Shift

    def check():
        return problems_of(demo_server.call(run_checks, demo_server.app.state.host,
                                            demo_server.app.state.settings.is_sqlite))

    assert check() == []  # the demo's closed shifts reconcile
    demo_server.call(lambda: Shift.exclude(status="open").limit(1).update(takings=1))
    assert any(problem.startswith("cashier.ledger_reconciles: lotus shift") for problem in check())
