"""The SMS channel against a real local HTTP gateway: the request it makes, and what each
answer (2xx, 4xx, 5xx, silence, nobody there) becomes."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace

import pytest

from core.messages.channels import DeliveryFailed, Outgoing
from core.messages.sms import SmsChannel, render_body
from tests.core.messages.servers import HttpReceiver, app_with, free_port


def outgoing(number: int = 41, address: str = "+886912345678", body: str = "您的包裹已到，請至櫃檯領取。") -> Outgoing:
    return Outgoing(message_id=number, site_id=1, site_code="harbour", address=address, subject="",
                    body=body, language="zh_Hant", reference="resident.case:3")


def gateway_app(gateway: HttpReceiver, **settings):
    return app_with(sms_gateway_url=f"{gateway.url}/send", **{
        "public_url": "https://desk.example.com/", "sms_gateway_token": "tok-123", "sms_timeout_seconds": 5,
        **settings})


async def send_all(app, messages: list[Outgoing]) -> list:
    results = []
    async with SmsChannel().connect(app) as sender:
        for message in messages:
            try:
                results.append(await sender.send(message))
            except DeliveryFailed as failure:
                results.append(failure)
    return results


def test_the_gateway_gets_the_body_template_filled_json_escaped_with_the_token():
    tricky = 'He said "hi"\\ {to}\n第二行'
    with HttpReceiver(lambda request: (200, b'{"message_id": "gw-77", "status": "queued"}')) as gateway:
        first, second = asyncio.run(send_all(gateway_app(gateway), [outgoing(41), outgoing(42, body=tricky)]))
    assert (first.provider_id, first.delivered) == ("gw-77", False)
    request = gateway.requests[0]
    assert request.path == "/send"
    assert request.headers["authorization"] == "Bearer tok-123"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"to": "+886912345678", "text": "您的包裹已到，請至櫃檯領取。", "reference": "41",
                              "callback": "https://desk.example.com/api/v1/messages/sms/reports"}
    # Quotes, backslashes, newlines and a placeholder inside the text arrive as written.
    assert gateway.requests[1].json()["text"] == tricky


def test_the_provider_id_is_the_gateways_id_else_our_reference():
    answers = iter([(200, b'{"id": 123}'), (202, b"accepted"), (201, b'{"id": ""}')])
    with HttpReceiver(lambda request: next(answers)) as gateway:
        results = asyncio.run(send_all(gateway_app(gateway, sms_gateway_token=""), [outgoing(n) for n in (1, 2, 3)]))
    assert [sent.provider_id for sent in results] == ["123", "2", "3"]
    assert "authorization" not in gateway.requests[0].headers


def test_a_custom_body_template():
    template = '{"msisdn": "{to}", "message": {"content": "{text}"}, "ref": "{reference}"}'
    with HttpReceiver() as gateway:
        asyncio.run(send_all(gateway_app(gateway, sms_gateway_body=template), [outgoing(5)]))
    assert gateway.requests[0].json() == {"msisdn": "+886912345678", "message": {"content": "您的包裹已到，請至櫃檯領取。"},
                                          "ref": "5"}
    assert render_body("{callback}|{other}", {"to": "", "text": "", "reference": "", "callback": ""}) == "|{other}"


def test_server_errors_retry_and_refusals_fail_for_good():
    answers = iter([(500, b"internal error"), (503, b""), (400, b'{"error": "bad number"}'), (429, b"slow down"),
                    (200, b'{"id": "ok"}')])
    with HttpReceiver(lambda request: next(answers)) as gateway:
        crashed, unavailable, refused, throttled, sent = asyncio.run(
            send_all(gateway_app(gateway), [outgoing(n) for n in range(1, 6)]))
    assert (crashed.reason, crashed.permanent) == ("gateway answered 500: internal error", False)
    assert (unavailable.reason, unavailable.permanent) == ("gateway answered 503", False)
    assert refused.permanent and refused.reason.startswith("gateway answered 400")
    assert not throttled.permanent
    assert sent.provider_id == "ok"


def test_a_slow_gateway_times_out_once_per_batch_and_an_absent_one_is_unreachable():
    with HttpReceiver(delay=1.0) as gateway:
        started = time.monotonic()
        results = asyncio.run(send_all(gateway_app(gateway, sms_timeout_seconds=0.2), [outgoing(n) for n in range(4)]))
        waited = time.monotonic() - started
    assert all(isinstance(slow, DeliveryFailed) and not slow.permanent for slow in results)
    assert {slow.reason for slow in results} == {"gateway timed out after 0.2 s"}
    assert len(gateway.requests) == 1 and waited < 0.6  # one timeout, not four
    nobody = app_with(sms_gateway_url=f"http://127.0.0.1:{free_port()}/send")
    [down] = asyncio.run(send_all(nobody, [outgoing()]))
    assert isinstance(down, DeliveryFailed) and not down.permanent and "not reachable" in down.reason


def test_not_configured():
    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(send_all(app_with(sms_gateway_url=""), [outgoing()]))
    assert "not configured" in failed.value.reason and not failed.value.permanent


def test_no_callback_without_a_public_url():
    with HttpReceiver() as gateway:
        asyncio.run(send_all(gateway_app(gateway, public_url=""), [outgoing()]))
    assert gateway.requests[0].json()["callback"] == ""


@pytest.mark.parametrize("value", ["", "12345", "0912-345-67a", "++886912345678", "8869123456789012",
                                   "+886 912 345 678 ext 5", "０９１２３４５６７８"])
def test_bad_phone_numbers_are_refused_with_a_message(value):
    with pytest.raises(ValueError) as refused:
        SmsChannel().normalise_address(value)
    assert "phone number" in str(refused.value)


def test_phone_numbers_are_normalised_and_found_on_parties():
    channel = SmsChannel()
    assert channel.normalise_address("+886 912-345-678") == "+886912345678"
    assert channel.normalise_address("(02) 2345.6789") == "0223456789"
    assert channel.address_of(party=SimpleNamespace(phones=["123", "0912345678"])) == "0912345678"
    assert channel.address_of(party=SimpleNamespace(phones=[])) == ""
    assert channel.address_of(user=SimpleNamespace(email="a@example.com")) == ""
    assert channel.name == "sms"
    assert json.loads(render_body('"{text}"', {"to": "", "text": "\u2028\t", "reference": "", "callback": ""})) \
        == "\u2028\t"
