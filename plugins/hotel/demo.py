"""Demo data of the `lotus` hotel: 8 floors of 20 rooms in mixed states, housekeeping
tasks, stock with movements, hygiene records and a handover with structured items."""

from __future__ import annotations

import random

from core.actors import Actor
from core.tasks.handovers import write_handover
from plugins.hotel import records, services
from plugins.hotel.models import Room
from plugins.hotel.rooms import _insert

FLOORS = range(2, 10)
ROOMS_PER_FLOOR = 20
GUESTS = ("王大明", "Emily Chen", "李美玲", "Kenji Sato", "陳志強", "Anna Müller", "林佳慧", "David Park",
          "張雅婷", "Maria Santos", "黃俊傑", "Tom Wilson")
ITEMS = (("LIN-SHEET", "Bed sheet / 床單", "linen", "pcs", 300, 480),
         ("LIN-TOWEL", "Bath towel / 浴巾", "linen", "pcs", 400, 350),
         ("LIN-PILLOW", "Pillowcase / 枕套", "linen", "pcs", 400, 620),
         ("DRK-WATER", "Mineral water / 礦泉水", "drinks", "bottles", 300, 540),
         ("DRK-BEER", "Taiwan beer / 台灣啤酒", "drinks", "cans", 120, 90),
         ("AMN-KIT", "Dental kit / 牙刷組", "amenities", "pcs", 200, 410),
         ("AMN-SOAP", "Soap / 香皂", "amenities", "pcs", 200, 260))


def _state(rng: random.Random) -> tuple[str, str, str]:
    roll = rng.random()
    if roll < 0.03:
        return "vacant", "dirty", "out_of_order"
    if roll < 0.05:
        return "vacant", "clean", "out_of_service"
    occupancy = "occupied" if roll < 0.55 else "vacant"
    housekeeping = rng.choice(("dirty", "dirty", "pickup", "clean", "clean", "inspected"))
    return occupancy, housekeeping, "in_service"


async def load(demo) -> None:
    site = demo.sites["lotus"]
    users = demo.users
    rng = random.Random(5)
    sup, desk = Actor(users["hotelsup"], site), Actor(users["frontdesk"], site)
    attendants = Actor(users["housekeeper"], site), Actor(users["housekeeper2"], site)
    site.settings = {**(site.settings or {}), "hotel": {"inspection_required": False,
                                                        "hygiene_required_for_departure": False,
                                                        "night_audit_hour": 3}}
    await site.save(update_fields=["settings"])
    users["housekeeper"].skills = [services.section_skill(site.code, "A")]
    await users["housekeeper"].save(update_fields=["skills"])
    users["housekeeper2"].skills = [services.section_skill(site.code, "B")]
    await users["housekeeper2"].save(update_fields=["skills"])

    rows = []
    for floor in FLOORS:
        for door in range(1, ROOMS_PER_FLOOR + 1):
            occupancy, housekeeping, service = _state(rng)
            rows.append({"number": f"{floor}{door:02d}", "floor": floor,
                         "room_type": "Suite" if door == 1 else ("Twin" if door % 3 == 0 else "Double"),
                         "section": "A" if floor <= 5 else "B", "occupancy": occupancy,
                         "housekeeping": housekeeping, "service": service})
    created = await _insert(site, rows, sup, "created")
    kernel = demo.tasks
    for index, room in enumerate(created):
        if room.occupancy == "occupied":
            await Room.filter(id=room.id).update(guest_name=GUESTS[index % len(GUESTS)])
            room.guest_name = GUESTS[index % len(GUESTS)]
        elif room.service == "out_of_order":
            await Room.filter(id=room.id).update(oos_reason="Air conditioner leaking / 冷氣漏水")
        elif room.service == "out_of_service":
            await Room.filter(id=room.id).update(oos_reason="Carpet replacement / 更換地毯")
        if room.service == "in_service" and room.occupancy == "vacant" and room.housekeeping == "dirty":
            await services.create_room_task(kernel, site, room, desk, "hotel.departure_clean",
                                            f"Departure clean, room {room.number}", priority="high")
        elif room.service == "in_service" and room.occupancy == "occupied" and room.housekeeping == "dirty":
            await services.create_room_task(kernel, site, room, sup, "hotel.stay_over",
                                            f"Stay-over service, room {room.number}")
    # Two discrepancies for the front desk to resolve.
    by_number = {room.number: room for room in await Room.filter(site_id=site.id)}
    for room in by_number.values():
        if room.occupancy == "occupied":
            await services.observe(kernel, room, "vacant", attendants[0])
            break
    for room in by_number.values():
        if room.occupancy == "vacant" and room.service == "in_service":
            await services.observe(kernel, room, "occupied", attendants[1])
            break

    for code, name, category, unit, par, quantity in ITEMS:
        item = await records.create_item(site.id, sup, code=code, name=name, category=category,
                                         unit=unit, par_level=par)
        await records.move_stock(site.id, item, sup, location="Main store", kind="in",
                                 quantity=quantity)
        if category != "drinks":
            await records.move_stock(site.id, item, sup, location="Main store", kind="transfer",
                                     quantity=min(quantity // 4, 60), to_location="Floor 3 pantry")
    today = services.local_today(site)
    for room in list(by_number.values())[:60]:
        if room.occupancy == "occupied" or room.housekeeping in ("clean", "inspected"):
            await records.record_hygiene(site.id, room, attendants[0], date=today, linen_changed=True,
                                         cups_disinfected=True, bathroom_cleaned=rng.random() > 0.1,
                                         aired_times=rng.choice((1, 2, 2)), today=today)
    dnd = [room.number for room in by_number.values() if room.occupancy == "occupied"][:3]
    watch = [room.number for room in by_number.values() if room.service == "out_of_order"][:3]
    await write_handover(kernel.bus, site.id, desk, "housekeeping",
                         "Night shift: VIP arrival in the suite on floor 9 at 14:00; please inspect it first. "
                         "夜班交接：九樓套房下午兩點有貴賓入住，請優先查房。",
                         [{"label": "Rooms to watch", "value": ", ".join(watch)},
                          {"label": "Do not disturb", "value": ", ".join(dnd)},
                          {"label": "Linen: bed sheets", "value": "120"},
                          {"label": "Linen: bath towels", "value": "88"}])
