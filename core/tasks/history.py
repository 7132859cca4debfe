"""A task's history as people read it: shared by core's task page and the plugins' record
pages that show their task's events (a resident case, for one)."""

from __future__ import annotations

from core.identity.models import User

#: Events whose note is a username (who was assigned, who watches): shown as the display name.
NAMED_EVENTS = ("assigned", "watch_added", "watch_removed")


async def shown_notes(events) -> dict[int, str]:
    """Each event's note as a page shows it: a person by their display name, though the
    event keeps the username it was written with (the API gives the note as stored)."""
    usernames = {e.note for e in events if e.kind in NAMED_EVENTS and e.note}
    names = {user.username: user.display_name or user.username
             for user in await User.filter(username__in=sorted(usernames))} if usernames else {}
    return {e.id: names.get(e.note, e.note) if e.kind in NAMED_EVENTS else e.note for e in events}
