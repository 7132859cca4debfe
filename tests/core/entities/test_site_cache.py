"""Sites kept per process (``core.entities.site_cache``): read once, and every change
(through the services, here or in another process) seen by the next request."""

from __future__ import annotations

import httpx
import pytest

from core.actors import SYSTEM
from core.entities import site_cache
from core.entities.models import Site
from core.site_settings import change as change_settings
from tests.core.identity.test_principal_cache import _seen_within, other_process  # noqa: F401  (a fixture)

MISSING_UNIT = "/api/v1/sites/harbour/units/999999"


def message_language(client) -> str:
    """Which language the site's default gives a caller who names none."""
    detail = client.get(MISSING_UNIT).json()["title"]
    return "en" if detail.isascii() else "zh"


def set_default_language(demo_server, language: str) -> None:
    async def change():
        site = await Site.get(code="harbour")
        from core.entities import services
        from core.entities.api import site_out
        await services.update_site(site, {"default_language": language}, site.version, site_out,
                                   host=demo_server.app.state.host, actor=SYSTEM)

    demo_server.call(change)


@pytest.fixture
def agent(demo_server):
    client = demo_server.api_client("agent")
    client.headers.pop("Accept-Language", None)
    demo_server.call(lambda: Site.filter(code="harbour").update(default_language="zh_Hant"))
    site_cache.forget("harbour")
    return client


def test_a_site_is_read_once_not_per_request(demo_server, agent, caplog):
    import logging
    agent.get(MISSING_UNIT)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        for _ in range(3):
            agent.get(MISSING_UNIT)
    reads = [r.getMessage() for r in caplog.records if 'FROM "core_site"' in r.getMessage()]
    assert reads == []


def test_a_change_through_the_services_is_seen_by_the_next_request(demo_server, agent):
    assert message_language(agent) == "zh"
    set_default_language(demo_server, "en")
    assert message_language(agent) == "en"


def test_a_settings_change_is_seen_by_the_next_request(demo_server):
    """A settings change (the CLI's path) forgets the site: the next request reads the new
    value, not the one its process kept."""
    assert demo_server.api_client("admin").get("/api/v1/sites/harbour/settings").status_code == 200

    async def kept_max_reopens():
        return (await demo_server.app.state.site_cache.get("harbour")).settings.get("resident", {}).get("max_reopens")

    before = demo_server.call(kept_max_reopens)

    async def change():
        site = await Site.get(code="harbour")
        await change_settings(site, {"resident": {"max_reopens": 7}}, site.version, demo_server.app.state.host)

    demo_server.call(change)
    assert before != 7
    assert demo_server.call(kept_max_reopens) == 7


def test_a_change_behind_the_services_back_waits_for_the_maximum_age(demo_server, agent, monkeypatch):
    assert message_language(agent) == "zh"
    monkeypatch.setattr(site_cache, "MAX_AGE_ALONE", 3600.0)
    monkeypatch.setattr(site_cache, "MAX_AGE_WITH_BUS", 3600.0)
    demo_server.call(lambda: Site.filter(code="harbour").update(default_language="en"))
    assert message_language(agent) == "zh"  # served from the cache
    monkeypatch.setattr(site_cache, "MAX_AGE_ALONE", 0.0)
    monkeypatch.setattr(site_cache, "MAX_AGE_WITH_BUS", 0.0)
    assert message_language(agent) == "en"


def test_a_change_in_one_process_is_seen_by_another_within_a_second(demo_server, agent, other_process):  # noqa: F811
    elsewhere = httpx.Client(base_url=other_process, headers={"Authorization": agent.headers["Authorization"]},
                             timeout=10)
    assert message_language(elsewhere) == "zh"  # kept there (60 s with a live bus)
    set_default_language(demo_server, "en")
    assert _seen_within(lambda: message_language(elsewhere) == "en", 1.0) is not None


def test_the_other_process_really_keeps_sites(demo_server, agent, other_process):  # noqa: F811
    """The counterpart: a row changed by hand (no notice) is not seen at once elsewhere."""
    elsewhere = httpx.Client(base_url=other_process, headers={"Authorization": agent.headers["Authorization"]},
                             timeout=10)
    assert message_language(elsewhere) == "zh"
    demo_server.call(lambda: Site.filter(code="harbour").update(default_language="en"))
    assert _seen_within(lambda: message_language(elsewhere) == "en", 1.5) is None
