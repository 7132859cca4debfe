"""Where the hotel keeps a person's data (``register_personal_data``): the room a guest is
checked into (by party or by the name written at check-in), and, for staff, what they did
to rooms, stock and hygiene records. Damage reports and room notes are free text: the sweep
scrubs a guest's name there; the room history is kept (what happened to the room)."""

from __future__ import annotations

from tortoise.expressions import Q

from core.i18n import lazy_gettext as _l
from core.personal_data import Source, Subject, Table
from plugins.hotel.models import DamageReport, HygieneRecord, Room, RoomEvent, StockMovement


def _match(party=None, user=None):
    def match(subject: Subject):
        query = party if subject.kind == "party" else user
        return query(subject) if query is not None else None

    return match


def _rooms(subject: Subject) -> Q:
    query = Q(party_id=subject.id)
    if subject.name.strip():
        query |= Q(site_id=subject.site_id, guest_name=subject.name)
    return query


SOURCE = Source("hotel", _l("Hotel"), tables=(
    Table("rooms", Room, _match(party=_rooms), names=("guest_name",)),
    Table("room_events", RoomEvent, _match(user=lambda s: Q(actor_id=s.id))),
    Table("damage_reports", DamageReport, _match(user=lambda s: Q(reported_by_id=s.id))),
    Table("hygiene_records", HygieneRecord, _match(user=lambda s: Q(recorded_by_id=s.id))),
    Table("stock_movements", StockMovement, _match(user=lambda s: Q(actor_id=s.id))),
))
