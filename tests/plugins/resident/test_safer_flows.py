"""Issue 22's safer resident flows over real HTTP: revisit answers start empty and must be
chosen, unit codes in any case."""

from tests.plugins.resident.conftest import BASE, move, new_case

PAGES = "/sites/harbour/resident"


def test_the_revisit_form_starts_without_answers_and_requires_them(demo_server, units, supervisor):
    case = new_case(supervisor, units["A-0101"])
    supervisor.post(f"{BASE}/cases/{case['id']}/reply", json={"message": "We will talk to the neighbours."})
    assert move(supervisor, case["task_id"], "resolved").status_code == 200
    browser = demo_server.sign_in("supervisor")
    page = browser.get(f"{PAGES}/cases/{case['id']}").text
    reached = page.split('id="reached-case"', 1)[1].split("</select>", 1)[0]
    # No option is pre-selected: the first (empty) one shows, and the browser refuses an empty answer.
    assert "selected" not in reached and 'required' in reached and '<option value="">' in reached
    url = f"{PAGES}/cases/{case['id']}/revisit"
    missing = browser.form_post(url, {"method": "phone"})
    assert missing.status_code == 422 and "Choose whether the resident was reached." in missing.text
    no_satisfaction = browser.form_post(url, {"method": "phone", "reached": "yes"})
    assert no_satisfaction.status_code == 422 and "Choose whether the resident was satisfied." in no_satisfaction.text
    assert "not reached" not in browser.get(f"{PAGES}/cases/{case['id']}").text  # nothing recorded
    # Not reached: satisfaction is not asked.
    assert browser.form_post(url, {"method": "phone", "reached": "no"}).status_code == 303
    assert "not reached" in browser.get(f"{PAGES}/cases/{case['id']}").text
