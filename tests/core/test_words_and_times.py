"""Issue 22, times and words: the plural rule of merged catalogues, the ``local`` and
``label`` template filters, and validation messages in the user's language."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from pydantic import BaseModel, ConfigDict, Field
import pytest

from core import i18n
import jinja2

from core.web.templating import install_filters

TAIPEI = SimpleNamespace(timezone="Asia/Taipei")


@pytest.fixture(scope="module")
def catalogs():
    from core.settings import PROJECT_ROOT

    folders = [PROJECT_ROOT / "core" / "locale", *sorted((PROJECT_ROOT / "plugins").glob("*/locale"))]
    return i18n.load_catalogs(folders)


@pytest.mark.parametrize("language, expected", [("zh_Hant", "7 件未完成工單"), ("en", "7 open tasks")])
def test_merged_catalogues_keep_each_languages_plural_rule(catalogs, language, expected):
    # Before: the merged catalogue kept the empty one's English rule (n != 1), found no
    # second Chinese form and printed the English "7 open tasks" in a Chinese page.
    i18n.activate(catalogs, language)
    try:
        assert i18n.ngettext("%(num)s open task", "%(num)s open tasks", 7) == expected
        assert i18n.ngettext("%(num)s open task", "%(num)s open tasks", 1) in ("1 件未完成工單", "1 open task")
    finally:
        i18n.activate(catalogs, "en")


def _render(source: str, **context) -> str:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    install_filters(environment)
    return environment.from_string(source).render(**context)


def test_local_filter_shows_the_sites_clock_with_the_instant_and_zone_on_hover():
    moment = dt.datetime(2026, 12, 1, 8, 40, tzinfo=dt.timezone.utc)
    assert _render("{{ t|local(site) }}", t=moment, site=TAIPEI) == (
        '<time datetime="2026-12-01T08:40:00Z" title="Asia/Taipei (UTC+8)">2026-12-01 16:40</time>')
    # The API's text form, and a day that is already tomorrow in Taipei.
    assert ">2026-12-02<" in _render("{{ t|local_date(site) }}", t="2026-12-01T16:30:00Z", site=TAIPEI)
    assert _render("{{ t|local(site) }}", t=None, site=TAIPEI) == ""


def test_label_filter_shows_codes_as_words_in_the_current_language(catalogs):
    import core.tasks.types  # noqa: F401 — registers task.status

    i18n.activate(catalogs, "zh_Hant")
    try:
        shown = _render('{{ s|label("task.status") }}', s="in_progress")
        assert shown and shown != "in_progress" and shown.isascii() is False
        # A code no list knows shows as it is: a record is never hidden by a new code.
        assert _render('{{ s|label("task.status") }}', s="someday") == "someday"
        assert _render('{{ s|label("task.status") }}', s=None) == ""
    finally:
        i18n.activate(catalogs, "en")


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=5)
    count: int = Field(gt=0)


@pytest.mark.parametrize("payload, english", [
    ({"count": 1}, "Field required"),
    ({"name": "a", "count": 1, "colour": "red"}, "Extra inputs are not permitted"),
    ({"name": "abcdefgh", "count": 1}, "String should have at most 5 characters"),
    ({"name": "a", "count": 0}, "Input should be greater than 0"),
])
def test_api_validation_messages_are_pydantics_in_english_and_translated_in_chinese(catalogs, payload, english):
    from pydantic import ValidationError

    from core.web.api import validation_errors

    with pytest.raises(ValidationError) as caught:
        _Form.model_validate(payload)
    i18n.activate(catalogs, "en")
    [error] = validation_errors(caught.value)
    assert error["message"] == english
    i18n.activate(catalogs, "zh_Hant")
    try:
        [translated] = validation_errors(caught.value)
        assert translated["field"] == error["field"]  # the contract: field names unchanged
        assert not any(word in translated["message"] for word in ("Field", "Extra", "String", "Input"))
    finally:
        i18n.activate(catalogs, "en")


def test_a_page_form_and_the_api_say_whats_wrong_in_the_users_language(demo_server):
    # The page form: every message beside its field in Chinese, none of pydantic's English.
    page = demo_server.sign_in("admin", headers={"Accept-Language": "zh-TW"})
    shown = page.form_post("/sites/harbour/units/new", {"code": "", "kind": "apartment", "floor": "x" * 11})
    assert shown.status_code == 422
    assert "此欄位為必填" in shown.text
    assert not any(english in shown.text for english in ("Field required", "String should", "Input should"))
    # The API: the same fields named as in English (the contract), the message translated.
    body = {"code": "Z-1", "kind": "apartment", "colour": "red", "floor": "x" * 11}
    english = demo_server.api_client("admin").post("/api/v1/sites/harbour/units", json=body).json()["errors"]
    chinese = demo_server.api_client("admin", headers={"Accept-Language": "zh-TW"}).post(
        "/api/v1/sites/harbour/units", json=body).json()["errors"]
    assert [error["field"] for error in chinese] == [error["field"] for error in english] == ["floor", "colour"]
    assert {error["message"] for error in english} == {"String should have at most 10 characters",
                                                       "Extra inputs are not permitted"}
    assert not {error["message"] for error in chinese} & {error["message"] for error in english}


def test_a_tasks_history_names_states_in_words_and_times_on_the_sites_clock(demo_server):
    from tests.core.tasks.conftest import move, new_task

    async def user_id(username):
        from core.identity.models import User

        return (await User.get(username=username)).id

    supervisor = demo_server.api_client("supervisor")
    task = new_task(supervisor, title="Words: dripping tap in A-0101", assignee_id=demo_server.call(user_id, "supervisor"))
    assert move(supervisor, task, "in_progress").status_code == 200
    page = demo_server.sign_in("supervisor", headers={"Accept-Language": "zh-TW"}).get(
        f"/sites/harbour/tasks/{task['id']}").text
    history = page.split('class="history"', 1)[1]
    assert "in_progress" not in history and " open " not in history
    assert "處理中" in history  # the state's words, as the state shows elsewhere on the page
    # Who it was assigned to by display name (the event keeps the username).
    assert "將工單指派給林主管 Supervisor Lin" in history and "指派給supervisor" not in history
    # Harbour is in Taipei: a <time> with the UTC instant and the zone, the text 8 hours on.
    stamp = re.search(r'<time datetime="(\S+)Z" title="Asia/Taipei \(UTC\+8\)">([^<]+)</time>', history)
    utc = dt.datetime.fromisoformat(stamp.group(1)).replace(tzinfo=dt.timezone.utc)
    assert stamp.group(2) == (utc + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
