"""Task pages: my work, a task with its history and actions, the board, handovers."""

from core.tasks.models import Task
from tests.core.tasks.conftest import new_task


def test_my_work_lists_my_open_tasks_overdue_first(demo_server, supervisor, user_ids):
    import datetime as dt

    later = new_task(supervisor, title="Replace hallway bulb", assignee_id=user_ids["agent"])
    late = new_task(supervisor, title="Water leak B-0203", assignee_id=user_ids["agent"])
    new_task(supervisor, title="Someone else's job", assignee_id=user_ids["agent2"])
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    demo_server.call(lambda: Task.filter(id=late["id"]).update(due_at=past, overdue=True))
    page = demo_server.sign_in("agent").get("/sites/harbour/my-work").text
    assert page.index("Water leak B-0203") < page.index("Replace hallway bulb")
    assert "Someone else" not in page and later["title"] in page
    assert 'data-live-site="harbour"' in page


def test_new_task_form_creates_and_reshows_errors(demo_server):
    agent = demo_server.sign_in("agent")
    bad = agent.form_post("/sites/harbour/tasks/new", {"type": "core.general", "title": "", "priority": "normal"})
    assert bad.status_code == 422 and 'class="field-error"' in bad.text
    unknown_unit = agent.form_post("/sites/harbour/tasks/new", {"type": "core.general", "title": "Noise", "unit_code": "Z-9"})
    assert unknown_unit.status_code == 422 and "No unit with this code here." in unknown_unit.text
    assert 'value="Noise"' in unknown_unit.text
    made = agent.form_post("/sites/harbour/tasks/new", {"type": "core.general", "title": "Noise at night",
                                                        "unit_code": "A-0101", "priority": "high"})
    assert made.status_code == 303
    page = agent.get(made.headers["location"]).text
    assert "Noise at night" in page and "A-0101" in page and "High" in page


def test_task_page_actions_follow_the_workflow_and_refusals_reshow_the_page(demo_server, agent):
    task = new_task(agent)
    browser = demo_server.sign_in("agent")
    page = browser.get(f"/sites/harbour/tasks/{task['id']}").text
    assert 'value="in_progress"' in page and 'value="cancelled"' in page and 'value="closed"' not in page
    moved = browser.form_post(f"/sites/harbour/tasks/{task['id']}/transition", {"to": "in_progress", "version": "1"})
    assert moved.status_code == 303
    stale = browser.form_post(f"/sites/harbour/tasks/{task['id']}/transition", {"to": "waiting", "version": "1"})
    assert stale.status_code == 409 and "Someone changed this task" in stale.text
    browser.form_post(f"/sites/harbour/tasks/{task['id']}/comment", {"body": "Plumber booked for 3 pm."})
    history = browser.get(f"/sites/harbour/tasks/{task['id']}").text
    assert "Plumber booked for 3 pm." in history and "moved it from Open to In progress" in history


def test_the_board_is_for_supervisors_and_groups_by_assignee(demo_server, supervisor, user_ids):
    new_task(supervisor, title="Elevator inspection", assignee_id=user_ids["agent2"])
    new_task(supervisor, title="Unclaimed job")
    board = demo_server.sign_in("supervisor").get("/sites/harbour/board")
    assert board.status_code == 200
    assert "Elevator inspection" in board.text and "Unassigned" in board.text
    assert demo_server.sign_in("agent").get("/sites/harbour/board").status_code == 403


def test_handover_page_write_and_acknowledge(demo_server):
    supervisor = demo_server.sign_in("hotelsup")
    written = supervisor.form_post("/sites/lotus/handovers", {"department": "front_desk",
                                                              "body": "VIP in 1808 arrives at 22:00."})
    assert written.status_code == 303
    desk = demo_server.sign_in("frontdesk")
    assert "Unread handovers" in desk.get("/sites/lotus/my-work").text
    page = desk.get("/sites/lotus/handovers").text
    handover_id = page.split("/handovers/")[1].split("/ack")[0]
    desk.form_post(f"/sites/lotus/handovers/{handover_id}/ack")
    assert "Unread handovers" not in desk.get("/sites/lotus/my-work").text
    empty = supervisor.form_post("/sites/lotus/handovers", {"department": "front_desk", "body": " "})
    assert empty.status_code == 422


def test_menu_offers_my_work_at_the_users_site_even_from_the_start_page(demo_server):
    home = demo_server.sign_in("frontdesk").get("/", follow_redirects=True).text
    assert 'href="/sites/lotus/my-work"' in home and 'href="/sites/lotus/board"' not in home
    board_link = demo_server.sign_in("hotelsup").get("/", follow_redirects=True).text
    assert 'href="/sites/lotus/board"' in board_link


def test_a_bad_value_in_any_field_of_the_new_task_form_is_shown(demo_server):
    """Every field the form posts has its message on the page (a tampered priority was a
    422 with nothing to read)."""
    agent = demo_server.sign_in("agent")
    bad = agent.form_post("/sites/harbour/tasks/new", {"type": "core.general", "title": "Noise", "priority": "asap"})
    assert bad.status_code == 422 and 'id="priority-error"' in bad.text
