"""A Hypothesis state machine over the services: open, sale, refund, reversal, paid in/out,
close. Invariants: expected cash always equals what the ledger implies (recomputed here
independently), and overage and shortage are booked apart, never netted."""

import itertools
import uuid

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

SIGN = {"sale": 1, "refund": -1, "paid_in": 1, "paid_out": -1}


async def _setup():
    from core.actors import Actor
    from core.entities.models import Site
    from core.identity.models import User
    from plugins.cashier import services

    site = await Site.get(code="lotus")
    user = await User.get(username="cashier")
    register = await services.create_register(site, f"Prop {uuid.uuid4().hex[:8]}", Actor(user))
    return site, user, register


def test_ledger_state_machine(demo_server):
    from core.actors import Actor
    from plugins.cashier import services
    from plugins.cashier.models import Difference, Entry, Shift

    call = demo_server.call
    kernel = demo_server.app.state.tasks
    site, user, register = call(_setup)
    actor = Actor(user)
    counter = itertools.count()

    class Ledger(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.shift = None
            self.model_cash = 0
            self.entries = {}  # id -> (kind, method, amount, reversed)
            self.booked_over = 0
            self.booked_short = 0

        @precondition(lambda self: self.shift is None)
        @rule(notes=st.integers(0, 5), coins=st.integers(0, 20))
        def open(self, notes, coins):
            self.shift = call(services.open_shift, kernel, site, register, actor, {"1000": notes, "10": coins})
            self.model_cash = (notes * 1000 + coins * 10) * 100
            self.entries = {}

        @precondition(lambda self: self.shift is not None)
        @rule(kind=st.sampled_from(["sale", "refund", "paid_in", "paid_out"]),
              method=st.sampled_from(["cash", "cash", "card", "mobile"]), cents=st.integers(1, 500_000))
        def post(self, kind, method, cents):
            amount = f"{cents // 100}.{cents % 100:02d}"
            entry, created = call(services.post_entry, kernel, site, self.shift, actor, kind=kind, amount=amount,
                                  method=method, key=f"p{next(counter)}")
            assert created
            counts = not entry.needs_approval
            self.entries[entry.id] = (kind, method, cents, False, counts)
            if method == "cash" and counts:
                self.model_cash += SIGN[kind] * cents

        @precondition(lambda self: self.shift is not None and any(not e[3] for e in self.entries.values()))
        @rule(data=st.data())
        def reverse(self, data):
            candidates = sorted(i for i, e in self.entries.items() if not e[3])
            entry_id = data.draw(st.sampled_from(candidates))
            kind, method, cents, _r, counts = self.entries[entry_id]
            call(services.reverse_entry, kernel, site, call(Entry.get, id=entry_id), actor, "test", key=f"r{next(counter)}")
            self.entries[entry_id] = (kind, method, cents, True, counts)
            if method == "cash" and counts:
                self.model_cash -= SIGN[kind] * cents

        @precondition(lambda self: self.shift is not None)
        @rule(delta=st.integers(-50_000, 50_000))
        def close(self, delta):
            pending = any(not e[4] and not e[3] for e in self.entries.values())
            counted = max(self.model_cash + delta, 0)
            counted -= counted % 100  # whole dollars: the 1-dollar coin is the smallest
            pieces = {"1": counted // 100}
            shift = call(Shift.get, id=self.shift.id)
            if pending:
                try:
                    call(services.close_shift, kernel, site, shift, actor, pieces, "0", shift.version)
                except Exception as error:  # refunds waiting: 409
                    assert getattr(error, "status", None) == 409
                    for entry_id, e in list(self.entries.items()):
                        if not e[4] and not e[3]:
                            call(services.reverse_entry, kernel, site, call(Entry.get, id=entry_id), actor, "t", key=f"x{next(counter)}")
                            self.entries[entry_id] = (*e[:3], True, e[4])
                    return
            closed = call(services.close_shift, kernel, site, shift, actor, pieces, "0", shift.version)
            assert closed.expected_cash == self.model_cash
            difference = counted - self.model_cash
            assert closed.difference == difference
            assert closed.overage == max(difference, 0) and closed.shortage == max(-difference, 0)
            booked = call(_booked, closed.id)
            assert booked == {k: v for k, v in (("overage", closed.overage), ("shortage", closed.shortage)) if v}
            self.shift = None

        def teardown(self):
            if self.shift is not None:
                for entry_id, e in list(self.entries.items()):
                    if not e[4] and not e[3]:
                        call(services.reverse_entry, kernel, site, call(Entry.get, id=entry_id), actor, "t",
                             key=f"x{next(counter)}")
                shift = call(Shift.get, id=self.shift.id)
                call(services.close_shift, kernel, site, shift, actor, {}, "0", shift.version)

        @invariant()
        def expected_matches_ledger(self):
            if self.shift is not None:
                shift = call(Shift.get, id=self.shift.id)
                assert call(services.expected_cash, shift) == self.model_cash

    async def _booked(shift_id):
        return dict(await Difference.filter(shift_id=shift_id).values_list("kind", "amount"))

    run_state_machine_as_test(Ledger, settings=settings(
        max_examples=8, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
