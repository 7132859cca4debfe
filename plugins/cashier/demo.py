"""Demo registers and shifts at lotus: closed shifts, one over, one short (reviewed and
waiting), the float handed over between them (each handover confirmed by the cashier who
left it), a witnessed deposit, and a price list (minibar, linen, services)."""

from __future__ import annotations

from core.actors import Actor
from core.identity.sessions import Limits
from core.settings import Settings
from plugins.cashier import handovers, sales, services

PRICE_LIST = [
    ("MB-WATER", "Mineral water 礦泉水", "minibar", "60", False),
    ("MB-BEER", "Beer 啤酒", "minibar", "120", True),
    ("MB-SNACK", "Snack box 零食盒", "minibar", "150", True),
    ("LN-TOWEL", "Extra bath towel 加購浴巾", "linen", "200", True),
    ("LN-ROBE", "Bathrobe (kept) 浴袍", "linen", "1200", True),
    ("SV-LAUNDRY", "Laundry per piece 洗衣每件", "service", "80", True),
    ("SV-LATE", "Late check-out per hour 延遲退房每小時", "service", "300", True),
]


async def load(demo):
    site, kernel = demo.sites["lotus"], demo.tasks
    cashier, cashier2, sup = demo.users["cashier"], demo.users["cashier2"], demo.users["hotelsup"]
    as_sup = Actor(sup)
    front = await services.create_register(site, "Front desk till 1", as_sup)
    await services.create_register(site, "Front desk till 2", as_sup)
    await services.create_register(site, "Restaurant till", as_sup)
    for code, name, category, price, taxable in PRICE_LIST:
        await sales.create_item(site, as_sup, {"code": code, "name": name, "category": category, "price": price,
                                               "taxable": taxable})

    async def shift(user, opening, sales, counted, float_left):
        actor = Actor(user)
        current = await services.open_shift(kernel, site, front, actor, opening)
        for number, (kind, amount, method) in enumerate(sales):
            await services.post_entry(kernel, site, current, actor, kind=kind, amount=amount, method=method,
                                      reference=f"R{current.id:03d}-{number + 1:03d}", key=f"demo-{current.id}-{number}")
        return await services.close_shift(kernel, site, current, actor, counted, float_left, current.version)

    # Balanced: 5000 float + 2800 cash sales - 300 refund = 7500 counted, 5000 left.
    balanced = await shift(cashier, {"1000": 5}, [
        ("sale", "1200", "cash"), ("sale", "1600", "cash"), ("sale", "2400", "card"), ("refund", "300", "cash"),
        ("sale", "880", "mobile")], {"1000": 7, "500": 1}, "5000")
    # Overage 長繳: expected 5000 + 1850 = 6850, counted 6900.
    over = await shift(cashier2, {"1000": 5}, [("sale", "1250", "cash"), ("sale", "600", "cash"),
                                               ("sale", "3100", "card")], {"1000": 6, "500": 1, "200": 2}, "5000")
    await services.review_shift(kernel, site, over, as_sup, "Counted twice; overage handed in.", over.version)
    # Shortage 短補, left waiting for the supervisor's review: expected 5000 + 2150 - 200 = 6950, counted 6850.
    await shift(cashier, {"1000": 5}, [
        ("sale", "1500", "cash"), ("sale", "650", "cash"), ("paid_out", "200", "cash"), ("sale", "990", "voucher")],
        {"1000": 6, "500": 1, "100": 3, "50": 1}, "5000")
    for handover in await handovers.FloatHandover.filter(site_id=site.id, status="pending").order_by("id"):
        left_by = next(user for user in (cashier, cashier2) if user.id == handover.from_cashier_id)
        await handovers.confirm(kernel, site, handover, Actor(left_by), "frontdesk-demo", handover.version,
                                Limits.of(Settings()))
    await services.create_deposit(kernel, site, Actor(cashier), shift_ids=[balanced.id], bag_number="LG-0001",
                                  count={"1000": 2, "500": 1}, witness_username="hotelsup",
                                  witness_password="frontdesk-demo", throttle=Limits.of(Settings()))
