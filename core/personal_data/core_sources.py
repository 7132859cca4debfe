"""Where core's own features keep a person's data: the party record, the user account,
messages, tasks, the audit log and receipts. Declared through the same
``register_personal_data`` hook the plugins use (``core.personal_data.plugin``).

The live event log and every other free text (task notes, message bodies, snapshots) are
reached by the sweep and exported under "mentions"; what is listed here is what is
*about* the person by a key (their id), whatever it says.
"""

from __future__ import annotations

from tortoise.expressions import Q

from core.audit.models import AuditEntry
from core.entities.models import Party
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.i18n import ngettext
from core.identity.models import ApiToken, Membership, User, UserSession
from core.messages.models import Message, MessageOptOut
from core.personal_data.sources import Kept, Scrubber, Source, Subject, Table
from core.receipts.models import Receipt
from core.tasks.models import Handover, Task, TaskEvent, TaskWatcher


def _party(query):
    return lambda subject: query(subject.id) if subject.kind == "party" else None


def _user(query):
    return lambda subject: query(subject.id) if subject.kind == "user" else None


def _either(party_query, user_query):
    return lambda subject: (party_query if subject.kind == "party" else user_query)(subject.id)


async def _erase_account(subject: Subject, scrubber: Scrubber) -> None:
    """A user cannot sign in any more: the account is disabled, its sessions and tokens
    end, its username becomes the pseudonym's (usernames are unique and appear in the audit
    log as the actor's name)."""
    if subject.kind != "user":
        return
    from tortoise.expressions import F

    await User.filter(id=subject.id).update(
        # Not an argon2 hash: no password ever matches it.
        username=subject.erased_username, is_active=False, password_hash="!erased",  # noqa: S106
        session_version=F("session_version") + 1, version=F("version") + 1, skills=[])
    await UserSession.filter(user_id=subject.id).delete()
    await ApiToken.filter(user_id=subject.id).delete()
    # The audit log names actors by username; see core.personal_data.sweep.scrub_rows for
    # why erasure may rewrite it.
    await AuditEntry.filter(actor_id=subject.id).update(actor_name=subject.erased_username[:64])
    for entry in await AuditEntry.filter(object_type="user", object_id=str(subject.id)).values("id", "before", "after"):
        changes = {}
        for side in ("before", "after"):
            if isinstance(entry[side], dict) and entry[side].get("username") == subject.username:
                changes[side] = {**entry[side], "username": subject.erased_username}
        if changes:
            await AuditEntry.filter(id=entry["id"]).update(**changes)


async def _account_kept(subject: Subject) -> list[Kept]:
    if subject.kind != "user":
        return []
    sites = await Membership.filter(user_id=subject.id).count()
    return [Kept(what=ngettext("The account and its %(num)s site membership, disabled",
                               "The account and its %(num)s site memberships, disabled", sites),
                 why=_("The work this person did (tasks, shifts, approvals) stays linked to the pseudonym; "
                       "the account can no longer sign in."))]


async def _receipts_kept(subject: Subject) -> list[Kept]:
    if subject.kind == "user":
        issued = await Receipt.filter(Q(issued_by_id=subject.id) | Q(voided_by_id=subject.id)).count()
    else:
        issued = 0
    if not issued:
        return []
    return [Kept(what=ngettext("%(num)s receipt issued or voided", "%(num)s receipts issued or voided", issued),
                 why=_("Receipts are money records the law requires to be kept: kept whole, linked to the pseudonym."))]


async def _audit_kept(subject: Subject) -> list[Kept]:
    from core.retention.models import AuditArchive

    kept = [Kept(what=_("The audit log's entries about this person"),
                 why=_("The log keeps what was done and when; the name, phone numbers and e-mail in it are replaced "
                       "by the pseudonym. Months already archived to files are outside the erase."))]
    # Retention's signed monthly files cannot be rewritten without breaking their signature:
    # say which months may still name the person.
    months = sorted(await AuditArchive.all().values_list("month", flat=True))
    if months:
        shown = ", ".join(months[:12]) + (" …" if len(months) > 12 else "")
        kept.append(Kept(what=ngettext("%(num)s archived audit month (%(months)s)",
                                       "%(num)s archived audit months (%(months)s)", len(months), months=shown),
                         why=_("Audit months archived to signed files by retention are not rewritten by erase "
                               "(it would break their signature): the files stay as archived.")))
    return kept


SOURCES = [
    Source("core.party", _l("Party record"), tables=(
        Table("parties", Party, _party(lambda id: Q(id=id)), names=("name",),
              contacts=("phones", "phone_index", "email", "notes")),
    )),
    Source("core.user", _l("User account"), tables=(
        Table("users", User, _user(lambda id: Q(id=id)), names=("display_name",),
              contacts=("email", "extension", "title"), private=("password_hash",)),
        Table("memberships", Membership, _user(lambda id: Q(user_id=id))),
        Table("sessions", UserSession, _user(lambda id: Q(user_id=id)), private=("key_hash",)),
        Table("api_tokens", ApiToken, _user(lambda id: Q(user_id=id)), private=("token_hash",)),
    ), kept=_account_kept, erase=_erase_account),
    Source("core.messages", _l("Messages"), tables=(
        Table("messages", Message, _either(lambda id: Q(party_id=id), lambda id: Q(user_id=id)),
              contacts=("address",)),
        Table("opt_outs", MessageOptOut, _party(lambda id: Q(party_id=id))),
    )),
    Source("core.tasks", _l("Tasks"), tables=(
        Table("tasks", Task, _either(lambda id: Q(party_id=id),
                                     lambda id: Q(assignee_id=id) | Q(created_by_id=id))),
        Table("task_events", TaskEvent, _either(lambda id: Q(task__party_id=id), lambda id: Q(actor_id=id))),
        Table("watched_tasks", TaskWatcher, _user(lambda id: Q(user_id=id))),
        Table("handovers", Handover, _user(lambda id: Q(author_id=id))),
    )),
    Source("core.audit", _l("Audit log"), tables=(
        Table("audit_entries", AuditEntry, _either(
            lambda id: Q(object_type="party", object_id=str(id)),
            lambda id: Q(actor_id=id) | Q(object_type="user", object_id=str(id)))),
    ), kept=_audit_kept),
    Source("core.receipts", _l("Receipts"), tables=(
        Table("receipts", Receipt, _user(lambda id: Q(issued_by_id=id) | Q(voided_by_id=id))),
    ), kept=_receipts_kept),
]
