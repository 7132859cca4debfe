"""The entries the cashier desk adds to the main navigation and its desk (read by the host as ``MENU`` and ``DESKS``)."""

from core.i18n import lazy_gettext as _l
from core.menu import Desk, DeskHome, MenuItem

# Cash registers belong where guests or customers pay at a counter (a residential estate
# collects property fees on the resident desk). Reviewers start on the review, cashiers on
# their register and its open shift.
DESKS = [
    Desk("cashier", _l("Cash desk"), site_kinds=("hotel", "retail"), order=60, homes=(
        DeskHome("cashier.shift.review", "/sites/{site}/cashier/review"),
        DeskHome("cashier.shift.work", "/sites/{site}/cashier/"),
    )),
]

MENU = [
    MenuItem(label=_l("Cash register"), url="/sites/{site}/cashier/", permission="cashier.shift.work", order=60),
    MenuItem(label=_l("Cash review"), url="/sites/{site}/cashier/review", permission="cashier.shift.review",
             order=61),
    MenuItem(label=_l("Price list"), url="/sites/{site}/cashier/price-list", permission="cashier.shift.read", order=63),
]
