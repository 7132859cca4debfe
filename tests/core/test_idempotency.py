"""Idempotency-Key on POST: repeats replay the first answer, racing twins make one write."""

import threading

from core.identity.models import IdempotencyRecord
from core.tasks.models import Task

BODY = {"type": "core.general", "title": "Broken lift in tower A"}


def ours(server, title=BODY["title"]):
    """Tasks these tests made (the plugins' demo data has tasks of its own)."""
    return server.call(lambda: Task.filter(title=title).count())


def test_same_key_same_body_replays_the_first_answer(demo_server):
    agent = demo_server.api_client("agent")
    headers = {"Idempotency-Key": "create-lift-task-1"}
    first = agent.post("/api/v1/sites/harbour/tasks", json=BODY, headers=headers)
    again = agent.post("/api/v1/sites/harbour/tasks", json=BODY, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotency-replayed"] == "true"
    assert ours(demo_server) == 1


def test_same_key_with_another_body_is_409(demo_server):
    agent = demo_server.api_client("agent")
    headers = {"Idempotency-Key": "k-2"}
    agent.post("/api/v1/sites/harbour/tasks", json=BODY, headers=headers)
    other = agent.post("/api/v1/sites/harbour/tasks", json={**BODY, "title": "Another"}, headers=headers)
    assert other.status_code == 409 and other.headers["content-type"] == "application/problem+json"
    assert ours(demo_server) == 1 and ours(demo_server, "Another") == 0


def test_keys_belong_to_their_user(demo_server):
    headers = {"Idempotency-Key": "shared-key"}
    demo_server.api_client("agent").post("/api/v1/sites/harbour/tasks", json=BODY, headers=headers)
    demo_server.api_client("agent2").post("/api/v1/sites/harbour/tasks", json=BODY, headers=headers)
    assert ours(demo_server) == 2


def test_a_refusal_is_replayed_too(demo_server):
    agent = demo_server.api_client("agent")
    headers = {"Idempotency-Key": "bad-1"}
    bad = {"type": "no.such", "title": "x"}
    assert agent.post("/api/v1/sites/harbour/tasks", json=bad, headers=headers).status_code == 422
    replay = agent.post("/api/v1/sites/harbour/tasks", json=bad, headers=headers)
    assert replay.status_code == 422 and replay.headers["idempotency-replayed"] == "true"


def test_two_tabs_racing_with_one_key_make_one_task(demo_server):
    clients = [demo_server.api_client("agent") for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    answers = []

    def submit(client):
        barrier.wait()
        answers.append(client.post("/api/v1/sites/harbour/tasks", json=BODY, headers={"Idempotency-Key": "race"}))

    threads = [threading.Thread(target=submit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert ours(demo_server) == 1
    assert demo_server.call(lambda: IdempotencyRecord.filter(key="race").count()) == 1


def test_an_empty_or_huge_key_is_400(demo_server):
    agent = demo_server.api_client("agent")
    for key in ("", "k" * 201):
        assert agent.post("/api/v1/sites/harbour/tasks", json=BODY, headers={"Idempotency-Key": key}).status_code == 400
