"""What the insurance phone desk lets people do: each permission with the built-in roles granted it by default
(read by the host as ``PERMISSIONS``, in place of a ``register_permissions`` hook)."""

from core.i18n import lazy_gettext as _l
from core.permissions import Permission

DESK = ("admin", "manager", "supervisor", "call_agent")

PERMISSIONS = [
    Permission("insurance_calls.call.read", _l("See logged calls and caller history"), DESK),
    Permission("insurance_calls.call.log", _l("Log phone calls"), ("admin", "supervisor", "call_agent")),
    Permission("insurance_calls.caller.personal_data", _l("See callers' phone and policy numbers unmasked"),
               ("admin", "supervisor", "call_agent")),
    Permission("insurance_calls.kpi.read", _l("See phone desk KPIs and reports"), ("admin", "manager", "supervisor")),
    Permission("insurance_calls.application.read", _l("See phone applications"), DESK),
    Permission("insurance_calls.application.edit", _l("Enter and submit phone applications"),
               ("admin", "supervisor", "call_agent")),
    Permission("insurance_calls.application.check", _l("Check phone applications (second person)"),
               ("admin", "supervisor", "call_agent")),
    Permission("insurance_calls.application.issue", _l("Enter issued policies"), ("admin", "supervisor")),
    Permission("insurance_calls.complaint.cancel", _l("Cancel a complaint (it still counts in the KPIs)"),
               ("admin", "supervisor")),
]
