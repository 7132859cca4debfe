"""core.receipts: gapless numbers per (site, series) taken in the caller's transaction,
a number given twice refused with 409, void keeps the number (issue 17)."""

import pytest
from tortoise.transactions import in_transaction

from core.problems import Problem


def _actor_and_site(code="lotus", username="hotelsup"):
    from core.actors import Actor
    from core.entities.models import Site
    from core.identity.models import User

    async def load():
        site = await Site.get(code=code)
        user = await User.get(username=username)
        return site, Actor(user=user, site=site, permissions=frozenset(), client_address="127.0.0.1")

    return load


def test_numbers_are_gapless_per_series_and_a_rollback_gives_the_number_back(demo_server):
    from core.receipts import services
    from core.receipts.models import Receipt, ReceiptCounter

    load = _actor_and_site()

    async def work():
        site, actor = await load()
        line = [services.Line(code="A", name="A", quantity=2, unit_price=150)]
        first = await services.issue(site, actor, series="test:1", lines=line, method="cash", tendered=500)
        assert (first.number, first.total, first.change) == (1, 300, 200)
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await services.issue(site, actor, series="test:1", lines=line, method="cash")
                raise RuntimeError("the sale failed after its receipt")
        second = await services.issue(site, actor, series="test:1", lines=line, method="card")
        other = await services.issue(site, actor, series="test:2", lines=line, method="card")
        assert (second.number, other.number) == (2, 1)
        with pytest.raises(Problem) as short:
            await services.issue(site, actor, series="test:1", lines=line, method="cash", tendered=299)
        assert short.value.status == 422 and short.value.errors[0]["field"] == "tendered"
        # A counter set back (a restored backup, a hand edit): the number given again is 409.
        await ReceiptCounter.filter(site_id=site.id, series="test:1").update(last_number=1)
        with pytest.raises(Problem) as taken:
            await services.issue(site, actor, series="test:1", lines=line, method="cash")
        assert taken.value.status == 409
        assert await Receipt.filter(site_id=site.id, series="test:1").count() == 2
        voided = await services.void(site, second, actor, "wrong item", second.version)
        assert voided.status == "void" and voided.number == 2
        await ReceiptCounter.filter(site_id=site.id, series="test:1").update(last_number=2)
        third = await services.issue(site, actor, series="test:1", lines=line, method="cash")
        assert third.number == 3
        with pytest.raises(Problem) as bad_series:
            await services.issue(site, actor, series="Not A Series", lines=line, method="cash")
        assert bad_series.value.errors[0]["field"] == "series"

    demo_server.call(work)


def test_twenty_concurrent_issues_number_one_to_twenty(demo_server):
    import asyncio

    from core.receipts import services

    load = _actor_and_site()

    async def work():
        site, actor = await load()
        line = [services.Line(code="A", name="A", quantity=1, unit_price=100)]

        async def one(i):
            async with in_transaction():
                receipt = await services.issue(site, actor, series="race", lines=line, method="cash")
                await asyncio.sleep(0)  # let the others queue on the counter's lock
                if i % 5 == 4:
                    raise RuntimeError("this sale fails")
                return receipt.number

        results = await asyncio.gather(*(one(i) for i in range(25)), return_exceptions=True)
        numbers = sorted(r for r in results if isinstance(r, int))
        assert numbers == list(range(1, 21)), results

    demo_server.call(work)


def test_integrity_check_finds_a_series_out_of_step_with_its_counter(demo_server):
    from core.integrity import problems_of, run_checks
    from core.receipts import services
    from core.receipts.models import ReceiptCounter

    load = _actor_and_site()

    async def work():
        site, actor = await load()
        line = [services.Line(code="A", name="A", quantity=1, unit_price=100)]
        for _ in range(3):
            await services.issue(site, actor, series="check", lines=line, method="cash")
        return site

    site = demo_server.call(work)

    def check():
        return [p for p in problems_of(demo_server.call(run_checks, demo_server.app.state.host,
                                                        demo_server.app.state.settings.is_sqlite)) if "receipt" in p]

    assert check() == []

    async def skip_a_number():
        await ReceiptCounter.filter(site_id=site.id, series="check").update(last_number=5)

    demo_server.call(skip_a_number)
    assert check() == [f"core.receipt_numbers_gapless: site {site.id} series check: 3 receipts up to number 3, "
                       "the counter is at 5"]


def test_hook_register_receipt_series(demo_server):
    """The series' owners declare their rules; core narrows what a caller reads by them and
    lets them refuse a void."""
    from core.actors import Actor
    from core.identity.models import User
    from core.receipts import services
    from core.receipts.models import Receipt

    host = demo_server.app.state.host
    rules = {rule.series: rule for rule in services.declared_series(host)}
    assert rules["register:"].private_without == "cashier.revenue.read" and rules["register:"].owns("register:7")
    assert rules["fees"].private_without == "" and not rules["fees"].owns("feesx")
    load = _actor_and_site()

    async def work():
        site, supervisor = await load()
        line = [services.Line(code="A", name="A", quantity=1, unit_price=100)]
        register = await services.issue(site, supervisor, series="register:999999", lines=line, method="cash")
        fees = await services.issue(site, supervisor, series="fees", lines=line, method="cash",
                                    source_type="resident.payment", source_id=1)
        other = Actor(user=User(id=0), site=site, permissions=frozenset(), client_address="127.0.0.1")
        mine = services.visible(host, supervisor, Receipt.filter(id__in=[register.id, fees.id]))
        theirs = services.visible(host, other, Receipt.filter(id__in=[register.id, fees.id]))
        assert set(await mine.values_list("id", flat=True)) == {register.id, fees.id}
        assert set(await theirs.values_list("id", flat=True)) == {fees.id}
        with pytest.raises(Problem) as refused:
            await services.void(site, fees, supervisor, "wrong", fees.version, host=host)
        assert refused.value.status == 409
        # Without the host (the series' owner voiding its own) no guard applies.
        assert (await services.void(site, fees, supervisor, "wrong", fees.version)).status == "void"

    demo_server.call(work)
