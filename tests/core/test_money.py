"""core.money: the one money parser and formatter; every bad form is a 422 naming the field."""

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from core.money import MAX_MINOR, MoneyText, currency_decimals, format_money, parse_money, round_minor
from core.problems import Problem

#: Every bad form of an amount a client may send where a positive TWD/CNY amount is due;
#: each plugin's API test posts them all to a real endpoint (422 naming the field, nothing written).
BAD_API_AMOUNTS = ("1e3", "１０", "-5", "0", "0.00", "1.234", "1.", ".5", "NaN", "Infinity", "", "  ", "1,000",
                   "+5", 1.5, True, "99999999999999999999")


def refused(value, currency="TWD", **rules) -> str:
    with pytest.raises(Problem) as caught:
        parse_money(value, currency, "amount", **rules)
    problem = caught.value
    assert problem.status == 422 and problem.errors[0]["field"] == "amount", problem.body()
    return problem.errors[0]["message"]


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("1234.50", "TWD", 123450), ("1234.5", "TWD", 123450), ("1234", "TWD", 123400), ("0.01", "TWD", 1),
    ("  12.00\t", "TWD", 1200), ("007", "TWD", 700), ("1500", "JPY", 1500), ("1.234", "KWD", 1234),
    (1234, "TWD", 123400), (Decimal("12.5"), "TWD", 1250), (Decimal("1.500"), "TWD", 150),
    ("9999999999999.99", "TWD", MAX_MINOR),
])
def test_good_amounts_in_minor_units(text, currency, minor):
    assert parse_money(text, currency, "amount") == minor


@pytest.mark.parametrize("text", [
    "1e3", "1E3", "１０", "١٠", "1,000", "1 000", "1.", ".5", "NaN", "nan", "Infinity", "-Infinity", "inf",
    "+5", "--5", "1.2.3", "abc", "0x10", "1_000", "12.5 TWD", "$12",
])
def test_malformed_text_is_refused(text):
    assert "0-9" in refused(text)


@pytest.mark.parametrize("value", [1.5, 0.0, True, False, [1], {"amount": "1"}])
def test_floats_booleans_and_other_types_are_refused(value):
    assert "as a string" in refused(value)


@pytest.mark.parametrize("value", ["", "   ", None])
def test_empty_or_missing_asks_for_an_amount(value):
    assert "Enter an amount" in refused(value)


def test_sign_only_where_the_caller_allows_it():
    assert "greater than zero" in refused("-5")
    assert "greater than zero" in refused(-5)
    assert "cannot be negative" in refused("-5", allow_zero=True)
    assert parse_money("-5", "TWD", "amount", allow_negative=True) == -500
    assert parse_money(" -0.25 ", "TWD", "amount", allow_negative=True) == -25


def test_zero_only_where_the_caller_allows_it():
    for zero in ("0", "0.00", 0, "-0"):
        assert "greater than zero" in refused(zero)
    assert parse_money("0", "TWD", "amount", allow_zero=True) == 0
    assert parse_money("0.00", "TWD", "amount", allow_zero=True) == 0


def test_at_most_the_currencys_decimals_never_rounded():
    assert "At most 2 decimals in TWD" in refused("1.234")
    assert "At most 2 decimals" in refused("1.500")  # text is as typed: three decimals in TWD
    assert "no decimals" in refused("100.5", "JPY")
    assert "no decimals" in refused("100.0", "JPY")
    assert "At most 2 decimals" in refused(Decimal("1.005"))


def test_huge_amounts_fit_a_64_bit_column():
    assert "too large" in refused("10000000000000")  # 10**13 TWD = 10**15 minor units
    assert "too large" in refused(10**30)
    assert "too large" in refused("9" * 5000)  # refused before any conversion
    assert "too large" in refused("-" + "9" * 100, allow_negative=True)
    assert MAX_MINOR * 9_000 < 2**63  # nine thousand maximal amounts still sum inside BIGINT


def test_unknown_or_non_currency_codes_get_two_decimals():
    assert currency_decimals("XXX") == 2 and currency_decimals("ZZZ") == 2
    assert currency_decimals("JPY") == 0 and currency_decimals("TWD") == 2 and currency_decimals("KWD") == 3
    assert parse_money("1.25", "XXX", "amount") == 125


@pytest.mark.parametrize(("minor", "currency", "text"), [
    (123450, "TWD", "1234.50"), (5, "TWD", "0.05"), (0, "TWD", "0.00"), (-10000, "TWD", "-100.00"),
    (-5, "TWD", "-0.05"), (1234, "JPY", "1234"), (-7, "JPY", "-7"), (1234, "KWD", "1.234"),
    (123456789012, "TWD", "1234567890.12"), (Decimal(250), "TWD", "2.50"), (None, "TWD", None),
])
def test_format_money_as_the_api_shows_it(minor, currency, text):
    assert format_money(minor, currency) == text


def test_format_and_parse_round_trip():
    for minor in (1, 99, 100, 123450, MAX_MINOR):
        for currency in ("TWD", "JPY", "KWD"):
            assert parse_money(format_money(minor, currency), currency, "amount") == minor


def test_round_minor_halves_away_from_zero():
    assert round_minor(Decimal("2.5")) == 3 and round_minor(Decimal("2.49")) == 2
    assert round_minor(Decimal("-2.5")) == -3


class Body(BaseModel):
    amount: MoneyText


def test_schema_type_refuses_floats_naming_the_field():
    assert Body.model_validate({"amount": "12.50"}).amount == "12.50"
    assert Body.model_validate({"amount": 12}).amount == "12"
    for value in (12.5, True, None, ["1"]):
        with pytest.raises(ValidationError) as caught:
            Body.model_validate({"amount": value})
        error = caught.value.errors()[0]
        assert error["loc"] == ("amount",)
    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"amount": 12.5})
    assert caught.value.errors()[0]["msg"] == 'Send the amount as a string such as "1234.50".'
