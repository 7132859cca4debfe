"""The call form (issue 22): the caller's history fills plate and policy number as it fills
the name, and the browser checks phone, plate and policy formats before the form is sent,
with patterns that never refuse what the server accepts (the server stays the judge)."""

import re

import pytest

from core.problems import Problem
from plugins.insurance_calls import rules
from tests.plugins.insurance_calls.conftest import BASE, log

PAGE = "/sites/sunrise/insurance_calls/"


def _browser_accepts(name: str, value: str) -> bool:
    """What an input with the pattern accepts: the whole value must match."""
    return re.fullmatch(rules.HTML_PATTERNS[name], value) is not None


def _server_accepts(name: str, value: str) -> bool:
    check = {"phone": rules.phone, "plate": rules.plate, "policy_no": rules.policy_no}[name]
    try:
        check(value)
    except Problem:
        return False
    return True


@pytest.mark.parametrize("name, value", [
    ("phone", "13912345678"), ("phone", "+886 912-345-678"), ("phone", "(02) 2345.6789"), ("phone", "1234567"),
    ("plate", "粤B12345"), ("plate", "粤b·12345"), ("plate", "ABC-1234"), ("plate", "ab 123"),
    ("policy_no", "PDAA202612345678"), ("policy_no", "pdaa-2026-1234"), ("policy_no", "A123456789"),
])
def test_what_the_server_accepts_the_browser_accepts(name, value):
    assert _server_accepts(name, value) and _browser_accepts(name, value)


@pytest.mark.parametrize("name, value", [
    ("phone", "12345"), ("phone", "call me"), ("phone", "1234567890123456"),
    ("plate", "粤"), ("plate", "AB"), ("plate", "ABCDEFGHIJ"),
    ("policy_no", "123456789012"), ("policy_no", "PDAA1"), ("policy_no", "P" + "1" * 25),
])
def test_clearly_wrong_values_are_refused_by_both(name, value):
    assert not _server_accepts(name, value) and not _browser_accepts(name, value)


def test_the_form_carries_the_patterns_and_their_messages(demo_server):
    page = demo_server.sign_in("caller").get(PAGE).text
    for name in ("phone", "plate", "policy_no"):
        field = page.split(f'id="{name}" name="{name}"', 1)[1].split(">", 1)[0]
        pattern = field.split('pattern="', 1)[1].split('"', 1)[0]
        assert pattern.replace("&#34;", '"') == rules.HTML_PATTERNS[name] and 'title="' in field
    assert 'title="A policy number is 10 to 22 letters and digits and starts with a letter."' in page


def test_history_gives_the_latest_plate_and_policy_masked_by_permission(demo_server, caller):
    phone = "13700002222"
    log(caller, phone=phone, caller_name="王先生", plate="粤B11111", policy_no="PDAA202600000001")
    log(caller, phone=phone, caller_name="王先生", summary="No plate this time")
    found = caller.get(f"{BASE}/lookup?phone={phone}").json()
    assert (found["caller_name"], found["plate"], found["policy_no"]) == ("王先生", "粤B11111", "PDAA202600000001")
    by_plate = demo_server.api_client("caller").get(f"{BASE}/lookup?plate=粤b11111").json()
    assert by_plate["policy_no"] == "PDAA202600000001"
    # whoever may not see policy numbers (searching by plate is open to them) gets none
    masked = demo_server.api_client("manager").get(f"{BASE}/lookup?plate=粤B11111")
    assert masked.status_code == 200 and masked.json()["plate"] == "粤B11111" and masked.json()["policy_no"] == ""
