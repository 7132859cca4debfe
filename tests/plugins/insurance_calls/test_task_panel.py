"""A callback's or complaint's task shows the call it came from, numbers masked for
whoever may not see them."""

from tests.plugins.insurance_calls.conftest import later, log


def test_the_task_page_shows_the_call_masked_for_the_manager(demo_server, caller):
    call = log(caller, outcome="follow_up", follow_up_at=later(hours=3), phone="13922224444", plate="粤B12345",
               summary="Wants a quote for a Passat")
    task_id = call["follow_up_task_id"]
    task = caller.get(f"/api/v1/sites/sunrise/tasks/{task_id}").json()
    assert task["subject"] == {"plugin": "insurance_calls", "kind": "call", "id": call["id"]}
    agent_page = demo_server.sign_in("caller").get(f"/sites/sunrise/tasks/{task_id}").text
    assert "Wants a quote for a Passat" in agent_page and "13922224444" in agent_page
    assert "/sites/sunrise/insurance_calls/calls?q=" in agent_page
    manager_page = demo_server.sign_in("manager").get(f"/sites/sunrise/tasks/{task_id}").text
    assert "Wants a quote for a Passat" in manager_page and "13922224444" not in manager_page
