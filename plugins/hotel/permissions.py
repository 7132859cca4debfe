"""What the hotel lets people do: each permission with the built-in roles granted it by default
(read by the host as ``PERMISSIONS``, in place of a ``register_permissions`` hook)."""

from core.i18n import lazy_gettext as _l
from core.permissions import Permission

MANAGERS = ("admin", "manager")
DESK = ("front_desk",)
FLOOR = ("housekeeper",)
SUP = ("supervisor",)

PERMISSIONS = [
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
    Permission("hotel.stocktake.read", _l("See stocktakes"), MANAGERS + SUP + FLOOR),
    Permission("hotel.stocktake.count", _l("Open count sheets and enter stocktake counts"), MANAGERS + SUP + FLOOR),
    Permission("hotel.stocktake.approve", _l("Approve or cancel stocktakes (posts the adjustments)"),
               MANAGERS + SUP),
    Permission("hotel.hygiene.read", _l("See hygiene records"), MANAGERS + SUP + FLOOR),
    Permission("hotel.hygiene.write", _l("Record hygiene"), MANAGERS + SUP + FLOOR),
    Permission("hotel.room.dnd", _l("Set do-not-disturb and service refused on rooms"),
               MANAGERS + SUP + DESK + FLOOR),
    Permission("hotel.report.read", _l("See the daily work report"), MANAGERS + SUP),
    Permission("hotel.section.assign", _l("Assign attendants to sections"), MANAGERS + SUP),
]
