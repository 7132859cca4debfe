"""The entries Lost and found adds to the main navigation (read by the host as ``MENU``)."""

from core.i18n import lazy_gettext as _l
from core.menu import MenuItem

MENU = [MenuItem(label=_l("Lost and found"), url="/sites/{site}/lost_and_found/", permission="lost_and_found.entry.read")]
