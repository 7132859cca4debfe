"""Lost and found's hooks, each through the way core calls it: the guard and the reaction
through the task API, the CLI command as `frontdesk` runs it, the demo data in the kit's
demo database and the integrity check as `frontdesk integrity` calls it."""

import os
import subprocess
import sys

from core.testing import BACKEND

FOLLOW_UP = "lost_and_found.follow_up"


def test_a_follow_up_is_done_only_after_a_comment_and_its_resolution_is_audited(demo_server):
    client = demo_server.api_client("agent")
    base = "/api/v1/sites/harbour/tasks"
    task = client.post(base, json={"type": FOLLOW_UP, "title": "Blue scarf"}).json()
    started = client.post(f"{base}/{task['id']}/transition", json={"to": "in_progress", "version": task["version"]})
    assert started.status_code == 200, started.text  # the guard minds only the last steps
    refused = client.post(f"{base}/{task['id']}/transition", json={"to": "resolved", "version": started.json()["version"]})
    assert refused.status_code == 409 and "how the item went back" in refused.json()["detail"]

    assert client.post(f"{base}/{task['id']}/comments", json={"body": "Owner came by at 3 pm"}).status_code == 201
    current = client.get(f"{base}/{task['id']}").json()
    resolved = client.post(f"{base}/{task['id']}/transition", json={"to": "resolved", "version": current["version"]})
    assert resolved.status_code == 200, resolved.text

    audit = demo_server.api_client("admin").get("/api/v1/audit",
                                                params={"action": "lost_and_found.follow_up.resolved"}).json()
    assert [(item["object_id"], item["note"]) for item in audit["items"]] == [(str(task["id"]), "Blue scarf")]


def test_other_tasks_are_not_guarded(demo_server):
    client = demo_server.api_client("agent")
    task = client.post("/api/v1/sites/harbour/tasks", json={"type": "core.general", "title": "Not ours"}).json()
    base = f"/api/v1/sites/harbour/tasks/{task['id']}"
    started = client.post(f"{base}/transition", json={"to": "in_progress", "version": task["version"]}).json()
    resolved = client.post(f"{base}/transition", json={"to": "resolved", "version": started["version"]})
    assert resolved.status_code == 200, resolved.text  # no comment needed


def test_demo_data_has_entries_and_a_follow_up_about_one(demo_server):
    client = demo_server.api_client("agent")
    titles = [item["title"] for item in client.get("/api/v1/sites/harbour/lost_and_found/entries").json()["items"]]
    assert "Keys on a red ring, mailroom" in titles and "Umbrella, black, lobby" in titles
    tasks = client.get("/api/v1/sites/harbour/tasks", params={"type": FOLLOW_UP}).json()["items"]
    assert any(task["subject"] and task["subject"]["plugin"] == "lost_and_found" for task in tasks)


def test_the_cli_command_lists_a_sites_entries(demo_database_url):
    env = {**os.environ, "FRONTDESK_DATABASE_URL": demo_database_url, "FRONTDESK_TEST_BACKEND": BACKEND}
    listed = subprocess.run([sys.executable, "-m", "core", "lost-and-found", "list", "--site", "harbour"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "Keys on a red ring, mailroom" in listed.stdout
    unknown = subprocess.run([sys.executable, "-m", "core", "lost-and-found", "list", "--site", "nowhere"],
                             capture_output=True, text=True, env=env, timeout=120)
    assert unknown.returncode == 2 and "no site 'nowhere'" in unknown.stderr and "Traceback" not in unknown.stderr


def test_the_integrity_check_finds_an_entry_without_a_title(demo_server):
    from lost_and_found.models import Entry
    from lost_and_found.services import entries_have_titles

    assert demo_server.call(entries_have_titles) == []

    async def blank_entry():
        from core.entities.models import Site

        entry = await Entry.create(site=await Site.get(code="harbour"), title="   ")
        return entry.id, await entries_have_titles()

    entry_id, problems = demo_server.call(blank_entry)
    assert problems == [f"lost_and_found: entries without a title: {entry_id}"]
