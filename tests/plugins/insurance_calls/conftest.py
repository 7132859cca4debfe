import datetime as dt

import pytest

BASE = "/api/v1/sites/sunrise/insurance"


@pytest.fixture
def caller(demo_server):
    return demo_server.api_client("caller")


@pytest.fixture
def caller2(demo_server):
    return demo_server.api_client("caller2")


@pytest.fixture
def callsup(demo_server):
    return demo_server.api_client("callsup")


def later(**delta) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def call_body(**fields):
    body = {"direction": "inbound", "phone": "139 0000 1234", "caller_name": "测试客户", "call_type": "other",
            "summary": "Asked for the branch address", "outcome": "resolved"}
    body.update(fields)
    return body


def log(client, **fields):
    response = client.post(f"{BASE}/calls", json=call_body(**fields))
    assert response.status_code == 201, response.text
    return response.json()
