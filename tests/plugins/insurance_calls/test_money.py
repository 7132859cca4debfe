"""Every bad form of a premium is a 422 naming the field, and nothing is written (core.money)."""

from plugins.insurance_calls.models import Application
from tests.core.test_money import BAD_API_AMOUNTS
from tests.plugins.insurance_calls.conftest import BASE
from tests.plugins.insurance_calls.test_applications import APP, new_app


def test_a_bad_premium_is_refused_with_nothing_written(demo_server, caller):
    before = demo_server.call(lambda: Application.all().count())
    for premium in BAD_API_AMOUNTS:
        response = caller.post(f"{BASE}/applications", json={**APP, "premium": premium})
        assert response.status_code == 422, (premium, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["premium"], (premium, response.text)
    assert demo_server.call(lambda: Application.all().count()) == before


def test_a_bad_premium_does_not_change_a_draft(caller):
    app = new_app(caller)
    url = f"{BASE}/applications/{app['id']}"
    for premium in ("1e3", "１０", "-5", "0", 1.5):
        response = caller.patch(url, json={"version": app["version"], "premium": premium})
        assert response.status_code == 422, (premium, response.text)
    after = caller.get(url).json()
    assert after["premium"] == "4860.50" and after["version"] == app["version"]
