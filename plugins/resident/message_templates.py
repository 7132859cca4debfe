"""What the resident desk sends: a case's reply, a revisit's question, an arrears reminder.

English msgids (``N_``), translated into the resident's language when the message is sent;
a site may write its own wording per channel and language (core's template editor), with
the placeholders declared here."""

from __future__ import annotations

from core.i18n import N_
from core.i18n import lazy_gettext as _l
from core.messages.templates import MessageTemplate

CASE_REPLY = "resident.case_reply"
REVISIT = "resident.revisit"
ARREARS_REMINDER = "resident.arrears_reminder"

TEMPLATES = [
    MessageTemplate(
        CASE_REPLY, _l("Reply to a resident's case"), ("case_number", "title", "reply", "site"),
        subject=N_("Your case {case_number}: {title}"),
        body=N_("{site}: about your case {case_number} ({title}): {reply}"),
        channels=("sms", "email"),
        description=_l("Sent when an agent replies to a case and chooses SMS or e-mail.")),
    MessageTemplate(
        REVISIT, _l("Revisit question"), ("campaign", "unit", "site"),
        subject=N_("{site}: how did we do? ({campaign})"),
        body=N_("{site} would like to hear from the household of {unit} ({campaign}). Are you satisfied with "
                "our service? Reply to this message with a score from 1 (poor) to 5 (very good), or call the "
                "management office."),
        channels=("sms", "email"),
        description=_l("Sent by a revisit campaign before or instead of a call.")),
    MessageTemplate(
        ARREARS_REMINDER, _l("Arrears reminder"), ("unit", "period", "amount", "due_date", "site", "bill_number"),
        subject=N_("{site}: property fee {period} for {unit} is unpaid"),
        body=N_("{site}: the property fee of {unit} for {period} was due on {due_date}; {amount} is still unpaid. "
                "Please pay at the management office or by bank transfer quoting bill {bill_number}. If you have "
                "paid already, please ignore this reminder."),
        channels=("sms", "email"),
        description=_l("Sent by an arrears reminder run, one per unpaid bill and month.")),
]
