"""What the cashier desk lets people do: each permission with the built-in roles granted it by default
(read by the host as ``PERMISSIONS``, in place of a ``register_permissions`` hook)."""

from core.i18n import lazy_gettext as _l
from core.permissions import Permission

PERMISSIONS = [
    Permission("cashier.shift.read", _l("See cash registers and shifts"),
               ("admin", "manager", "supervisor", "cashier")),
    Permission("cashier.shift.work", _l("Work a cash register: open a shift, post, close"),
               ("admin", "supervisor", "cashier")),
    Permission("cashier.shift.review", _l("Review cash differences, approve refunds, receive shortages"),
               ("admin", "manager", "supervisor")),
    Permission("cashier.revenue.read", _l("See revenue figures, cash reports and deposits"),
               ("admin", "manager", "supervisor")),
    Permission("cashier.register.manage", _l("Add cash registers"), ("admin", "manager", "supervisor")),
    Permission("cashier.price.manage", _l("Keep the price list (items, prices, tax flags)"),
               ("admin", "manager", "supervisor")),
    Permission("cashier.deposit.create", _l("Make deposits of shift takings"), ("admin", "supervisor", "cashier")),
    Permission("cashier.deposit.witness", _l("Witness deposits"), ("admin", "manager", "supervisor")),
]
