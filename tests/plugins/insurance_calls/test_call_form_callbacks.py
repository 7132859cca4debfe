"""The call form is a call agent's home (issue 22): it lists the agent's callbacks due
today on the site's clock (late first), each a link that opens the form for that
callback; not tomorrow's, not a colleague's."""

import datetime as dt
from zoneinfo import ZoneInfo

from tests.plugins.insurance_calls.conftest import BASE, call_body

ENTRY = "/sites/sunrise/insurance_calls/"


def promise(client, when, caller_name):
    response = client.post(f"{BASE}/calls", json=call_body(
        outcome="follow_up", caller_name=caller_name, follow_up_at=when.strftime("%Y-%m-%dT%H:%M:%SZ")))
    assert response.status_code == 201, response.text
    return response.json()


def test_the_call_form_lists_todays_callbacks_of_the_agent(demo_server, caller, caller2):
    now = dt.datetime.now(dt.timezone.utc)
    soon = now + dt.timedelta(minutes=2)
    today_at_sunrise = soon.astimezone(ZoneInfo("Asia/Shanghai")).date() == now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    mine = promise(caller, soon, "今日回电客户")
    promise(caller, now + dt.timedelta(days=2), "后天回电客户")
    promise(caller2, soon, "同事的客户")
    page = demo_server.sign_in("caller").get(ENTRY)
    assert page.status_code == 200
    section = page.text.split('id="due-callbacks-title"', 1)[1].split("</section>", 1)[0] if today_at_sunrise else ""
    if today_at_sunrise:  # two minutes from now is still today in Shanghai (not just before midnight)
        assert f'href="{ENTRY}?task={mine["follow_up_task_id"]}"' in section
    assert "后天回电客户" not in section and "同事的客户" not in section
    # Opened for one callback, the form carries it out instead of listing the day's.
    carrying = demo_server.sign_in("caller").get(ENTRY, params={"task": mine["follow_up_task_id"]}).text
    assert 'id="due-callbacks-title"' not in carrying and "Carrying out" in carrying
