"""One msgid, one translation: core's and every plugin's catalogues merge into one per
language (core.i18n.load_catalogs), where the last package's translation of a msgid wins
everywhere. "Open" was a task's 待處理 and a cash shift's 開啟中, "Method" a payment's
付款方式 and a revisit's contact method, "Issued" a receipt's 已開立 and a policy's 已出單:
whichever loaded last showed on the other's pages. A word with two meanings gets two
msgids ("Shift open", "Contact method", "Issued at"); one meaning gets one translation.
"""

from __future__ import annotations

from collections import defaultdict

from babel.messages.pofile import read_po
import pytest

from core.settings import PROJECT_ROOT

#: One English word, two meanings, each translated for its own page: to be given distinct
#: msgids. "Entries": ledger lines (分錄) and a count of audit entries (筆數); "Person": a
#: party that is not an organisation (個人) and a member of staff (人員); "Record": a noun and
#: a verb (登記); "Records": kinds of record (retention) and a hotel's logs; "Reminder": an
#: arrears notice (催繳) and a roster reminder (提醒). The rest were harmonised (issue 22).
#: The test fails on any msgid that joins them, and on one of these that is harmonised but
#: still listed (so the list only shrinks).
KNOWN = {"Entries", "Person", "Record", "Records", "Reminder"}


def _translations(language: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for locale in [PROJECT_ROOT / "core" / "locale", *sorted((PROJECT_ROOT / "plugins").glob("*/locale"))]:
        path = locale / language / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            continue
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                    found[message.id][locale.parent.name] = message.string
    return found


@pytest.mark.parametrize("language", ["zh_Hant", "zh_Hans"])
def test_a_msgid_has_one_translation_across_the_merged_catalogues(language):
    differing = {msgid: by for msgid, by in _translations(language).items() if len(set(by.values())) > 1}
    new = {msgid: by for msgid, by in differing.items() if msgid not in KNOWN}
    assert not new, "one msgid, two translations (give one, or a distinct msgid per meaning):\n" + "\n".join(
        f"{msgid!r}: {by}" for msgid, by in sorted(new.items()))


def test_the_known_list_only_shrinks():
    differing = set().union(*(
        {msgid for msgid, by in _translations(language).items() if len(set(by.values())) > 1}
        for language in ("zh_Hant", "zh_Hans")))
    assert not KNOWN - differing, f"harmonised now, drop from KNOWN: {sorted(KNOWN - differing)}"
