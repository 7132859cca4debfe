import itertools
import uuid

import pytest

BASE = "/api/v1/sites/lotus/cashier"
_keys = itertools.count()


def key() -> dict:
    return {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}


@pytest.fixture
def cashier(demo_server):
    return demo_server.api_client("cashier")


@pytest.fixture
def cashier2(demo_server):
    return demo_server.api_client("cashier2")


@pytest.fixture
def sup(demo_server):
    return demo_server.api_client("hotelsup")


@pytest.fixture
def register(sup):
    response = sup.post(f"{BASE}/registers", json={"name": f"Till {uuid.uuid4().hex[:6]}"})
    assert response.status_code == 201, response.text
    return response.json()


def open_shift(client, register, count=None):
    response = client.post(f"{BASE}/shifts", json={"register_id": register["id"],
                                                   "opening_count": count if count is not None else {"1000": 5}},
                           headers=key())
    assert response.status_code == 201, response.text
    return response.json()


def post(client, shift, kind="sale", amount="100.00", method="cash", headers=None, **extra):
    return client.post(f"{BASE}/shifts/{shift['id']}/transactions",
                       json={"kind": kind, "amount": amount, "method": method, **extra}, headers=headers or key())


def close(client, shift, counted, float_left="0", version=None, headers=None):
    if version is None:
        version = client.get(f"{BASE}/shifts/{shift['id']}").json()["version"]
    return client.post(f"{BASE}/shifts/{shift['id']}/close",
                       json={"counted": counted, "float_left": float_left, "version": version}, headers=headers or key())
