"""Hotel: live room status board, housekeeping, handover, stock, damage and hygiene."""

from core import PluginMeta, hookimpl
from core.i18n import lazy_gettext as _l

meta = PluginMeta(
    name="hotel",
    version="0.1.0",
    core_requires=">=0.1,<1",
    description="Hotel: live room status board, housekeeping, handover, stock, damage and hygiene",
)

MANAGERS = ("admin", "manager")
DESK = ("front_desk",)
FLOOR = ("housekeeper",)
SUP = ("supervisor",)


@hookimpl
def register_permissions():
    from core.permissions import Permission

    return [
        Permission("hotel.room.read", _l("See the room status board"), MANAGERS + SUP + DESK + FLOOR),
        Permission("hotel.guest.read", _l("See guest names"), MANAGERS + SUP + DESK),
        Permission("hotel.room.housekeeping", _l("Change rooms' housekeeping status"), MANAGERS + SUP + FLOOR),
        Permission("hotel.room.inspect", _l("Mark rooms inspected"), MANAGERS + SUP),
        Permission("hotel.room.service", _l("Take rooms out of and back into service"), MANAGERS + SUP),
        Permission("hotel.room.check_in", _l("Check guests in and out"), MANAGERS + SUP + DESK),
        Permission("hotel.room.observe", _l("Record what housekeeping sees in a room"), MANAGERS + SUP + FLOOR),
        Permission("hotel.room.edit", _l("Add and import rooms"), MANAGERS + SUP),
        Permission("hotel.damage.report", _l("Report damage in rooms"), MANAGERS + SUP + DESK + FLOOR),
        Permission("hotel.stock.read", _l("See hotel stock"), MANAGERS + SUP + DESK + FLOOR),
        Permission("hotel.stock.move", _l("Record stock movements"), MANAGERS + SUP + FLOOR),
        Permission("hotel.stock.edit", _l("Add stock items"), MANAGERS + SUP),
        Permission("hotel.hygiene.read", _l("See hygiene records"), MANAGERS + SUP + FLOOR),
        Permission("hotel.hygiene.write", _l("Record hygiene"), MANAGERS + SUP + FLOOR),
    ]


@hookimpl
def register_task_types():
    from core.tasks.types import GenericUse, TaskType

    floor = ("housekeeper",)
    # Check-out, the night audit, a clean done and a damage report make the room's tasks;
    # a pick-up or a guest's request is asked for by hand, on the generic task routes.
    by_hand = GenericUse(create=True)
    rooms = {"owner_endpoint": "POST /api/v1/sites/{site}/hotel/rooms/{id}/check-out (or /damage)"}
    return [
        TaskType(name="hotel.departure_clean", label=_l("Departure clean"), default_sla_minutes=90,
                 assign_roles=floor, **rooms),
        TaskType(name="hotel.stay_over", label=_l("Stay-over service"), default_sla_minutes=8 * 60,
                 assign_roles=floor, **rooms),
        TaskType(name="hotel.pickup", label=_l("Pick-up clean"), default_sla_minutes=60, assign_roles=floor,
                 generic=by_hand),
        TaskType(name="hotel.inspection", label=_l("Room inspection"), default_sla_minutes=60,
                 assign_roles=("supervisor",), **rooms),
        TaskType(name="hotel.maintenance", label=_l("Room maintenance"), default_sla_minutes=24 * 60,
                 assign_roles=("supervisor",), **rooms),
        TaskType(name="hotel.guest_request", label=_l("Guest request"), default_sla_minutes=30,
                 assign_roles=floor, generic=by_hand),
    ]


@hookimpl
def register_menu_items():
    from core.menu import MenuItem

    return [
        MenuItem(label=_l("Room board"), url="/sites/{site}/hotel/", permission="hotel.room.read", order=30),
        MenuItem(label=_l("Task sheet"), url="/sites/{site}/hotel/sheet", permission="hotel.room.housekeeping",
                 order=31),
        MenuItem(label=_l("Hotel stock"), url="/sites/{site}/hotel/stock", permission="hotel.stock.read", order=32),
        MenuItem(label=_l("Hygiene log"), url="/sites/{site}/hotel/hygiene", permission="hotel.hygiene.read",
                 order=33),
    ]


@hookimpl
def register_demo_data():
    from plugins.hotel.demo import load

    return load


@hookimpl
async def task_transition_guard(task, to_status):
    if not task.type.startswith("hotel."):
        return None
    from plugins.hotel import services

    return await services.transition_guard(task, to_status)


@hookimpl
async def task_subject_panel(task, subject, request):
    if subject.plugin != "hotel":
        return None
    from plugins.hotel import pages

    return await pages.task_panel(request, task, subject)


@hookimpl
async def on_task_event(task, event, kernel):
    if not task.type.startswith("hotel."):
        return
    from plugins.hotel import services

    await services.after_task_event(kernel, task, event)


@hookimpl
async def on_app_started(app):
    from plugins.hotel import jobs

    jobs.start(app)
