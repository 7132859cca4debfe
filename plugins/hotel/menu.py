"""The entries the hotel adds to the main navigation and its desk (read by the host as ``MENU`` and ``DESKS``)."""

from core.i18n import lazy_gettext as _l
from core.menu import Desk, DeskHome, MenuItem

# A hotel's floors and front desk. Supervisors start on the room board, the front desk on
# the board too (check-in and check-out are there), attendants on their own task sheet.
DESKS = [
    Desk("hotel", _l("Hotel"), site_kinds=("hotel",), order=30, homes=(
        DeskHome("hotel.room.inspect", "/sites/{site}/hotel/"),
        DeskHome("hotel.room.check_in", "/sites/{site}/hotel/"),
        DeskHome("hotel.room.housekeeping", "/sites/{site}/hotel/sheet"),
        DeskHome("hotel.room.read", "/sites/{site}/hotel/"),
    )),
]

MENU = [
    MenuItem(label=_l("Room board"), url="/sites/{site}/hotel/", permission="hotel.room.read", order=30),
    MenuItem(label=_l("Task sheet"), url="/sites/{site}/hotel/sheet", permission="hotel.room.housekeeping",
             order=31),
    MenuItem(label=_l("Guest requests"), url="/sites/{site}/hotel/requests", permission="hotel.room.read",
             order=32),
    MenuItem(label=_l("Hotel stock"), url="/sites/{site}/hotel/stock", permission="hotel.stock.read", order=32),
    MenuItem(label=_l("Stocktakes"), url="/sites/{site}/hotel/stocktakes", permission="hotel.stocktake.read",
             order=32),
    MenuItem(label=_l("Hygiene log"), url="/sites/{site}/hotel/hygiene", permission="hotel.hygiene.read",
             order=33),
    MenuItem(label=_l("Damage reports"), url="/sites/{site}/hotel/damage", permission="hotel.room.read", order=34),
    MenuItem(label=_l("Work report"), url="/sites/{site}/hotel/work-report", permission="hotel.report.read",
             order=34),
    MenuItem(label=_l("Sections"), url="/sites/{site}/hotel/sections", permission="hotel.section.assign", order=34),
]
