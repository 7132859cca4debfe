"""The entries the cashier desk adds to the main navigation (read by the host as ``MENU``)."""

from core.i18n import lazy_gettext as _l
from core.menu import MenuItem

MENU = [
    MenuItem(label=_l("Cash register"), url="/sites/{site}/cashier/", permission="cashier.shift.work", order=60),
    MenuItem(label=_l("Cash review"), url="/sites/{site}/cashier/review", permission="cashier.shift.review",
             order=61),
    MenuItem(label=_l("Price list"), url="/sites/{site}/cashier/price-list", permission="cashier.shift.read", order=63),
]
