import pytest

BASE = "/api/v1/sites/lotus/hotel"


def find_room(client, code=None, **match):
    """The first demo room with ``code`` (and the given fields)."""
    board = client.get(f"{BASE}/board").json()
    for room in board["rooms"]:
        if (code is None or room["code"] == code) and all(room.get(k) == v for k, v in match.items()):
            return room
    raise AssertionError(f"no demo room with code {code} {match}")


@pytest.fixture
def desk(demo_server):
    return demo_server.api_client("frontdesk")


@pytest.fixture
def sup(demo_server):
    return demo_server.api_client("hotelsup")


@pytest.fixture
def hk(demo_server):
    return demo_server.api_client("housekeeper")

