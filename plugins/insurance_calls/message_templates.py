"""What the phone desk sends (``register_message_templates``): the callback confirmation to
the caller, and the notice to the supervisor a complaint is escalated to."""

from __future__ import annotations

from core.i18n import N_
from core.i18n import lazy_gettext as _l
from core.messages.templates import MessageTemplate

CALLBACK_CONFIRMATION = "insurance_calls.callback_confirmation"
COMPLAINT_ESCALATED = "insurance_calls.complaint_escalated"
#: Put in the greeting when the caller gave no name, in the caller's language.
CUSTOMER = N_("customer")


def templates() -> list[MessageTemplate]:
    return [
        MessageTemplate(
            CALLBACK_CONFIRMATION, _l("Callback confirmation (to the caller)"), ("name", "callback_time", "site_name"),
            subject=N_("{site_name}: we will call you back on {callback_time}"),
            body=N_("Dear {name}, thank you for calling {site_name}. We will call you back on {callback_time}."),
            channels=("sms", "email"),
            description=_l("Sent when the agent promises a callback and asks to confirm its time to the caller.")),
        MessageTemplate(
            COMPLAINT_ESCALATED, _l("Complaint escalated (to the supervisor)"), ("title", "call_id", "url"),
            subject=N_("Escalated to you: {title}"),
            body=N_("The complaint \u201c{title}\u201d was escalated to you: the customer was not satisfied at the "
                    "revisit (call {call_id})."),
            channels=("in_app",), optional=("url",),
            description=_l("An in-app notice to the supervisor a complaint is escalated to.")),
    ]
