"""Personal-data requests (PDPO, PIPL, GDPR): everything held about a person, exported as
a ZIP, or erased by pseudonymisation.

Core features and every plugin declare where a person's data lives through the
``register_personal_data`` hook, as ``Source`` objects (``core.personal_data.sources``):
the tables holding rows about a party or a user, which of their fields are names (replaced
by the pseudonym) or contacts (emptied), what is kept and why (money and legal records),
and any erase step a table declaration cannot say. After the sources, a sweep replaces the
person's name, phones and e-mail in every text and JSON column of every table
(``core.personal_data.sweep``), so free text that mentions them goes too.

Not to be confused with ``core.entities.privacy``, which masks phone numbers on screen for
roles that do not need them.
"""

from core.personal_data.sources import Kept, Source, Subject, Table

__all__ = ["Kept", "Source", "Subject", "Table"]
