"""core.web.forms.form_action: one POST handler shape for every page form, with one error display."""

import re

import pytest

import tests.core.parking_plugin as parking
from tests.core.parking_plugin.models import Permit

ERROR_LIST = '<div class="form-errors" role="alert">'


def posted(client, data):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/parking/new").text).group(1)
    return client.post("/parking/new", data={"csrf_token": token, **data})


def test_form_action_reshows_bad_input_and_refusals_and_redirects_on_success(make_app):
    server = make_app(extra_plugins=[parking])
    client = server.client()

    blank = posted(client, {"plate": "  "})
    assert blank.status_code == 422
    assert '<p class="field-error" id="plate-error">This field is required.</p>' in blank.text
    assert 'aria-invalid="true"' in blank.text and ERROR_LIST not in blank.text  # beside the field, not on top

    long = posted(client, {"plate": "X" * 21})
    assert long.status_code == 422 and "Enter at most 20 characters." in long.text
    assert f'value="{"X" * 21}"' in long.text  # what was typed is kept

    made = posted(client, {"plate": "ABC-1"})
    assert made.status_code == 303 and re.fullmatch(r"/parking/\?new=\d+", made.headers["location"])
    assert server.call(lambda: Permit.filter(plate="ABC-1").count()) == 1

    again = posted(client, {"plate": "ABC-1"})
    assert again.status_code == 409  # the service's own status
    assert ERROR_LIST in again.text and "Plate ABC-1 has a permit already." in again.text
    assert '<p class="field-error" id="plate-error">This plate has a permit.</p>' in again.text
    assert 'value="ABC-1"' in again.text
    assert server.call(lambda: Permit.filter(plate="ABC-1").count()) == 1


def test_form_int_takes_ascii_digits_only_and_refuses_the_rest_as_a_422_on_the_field():
    from core.problems import Problem
    from core.web.forms import MAX_INT_DIGITS, form_int

    assert form_int({"n": " 42 "}, "n") == 42 and form_int("7", "n") == 7
    assert form_int({"n": ""}, "n") is None and form_int({}, "n") is None and form_int(None, "n") is None
    assert form_int("-3", "floor", signed=True) == -3
    for bad in ("²", "٣", "１", "-3", "1.5", "1e3", "9" * (MAX_INT_DIGITS + 1), "9" * 5000):
        with pytest.raises(Problem) as refused:
            form_int({"n": bad}, "n")
        assert refused.value.status == 422 and refused.value.errors == [
            {"field": "n", "message": "Enter a whole number."}]
        assert form_int({"n": bad}, "n", lenient=True) is None
    with pytest.raises(Problem) as blank:
        form_int({"n": ""}, "n", required=True)
    assert blank.value.errors[0]["message"] == "This field is required."
    with pytest.raises(Problem) as stale:
        form_int({"version": "²"}, "version", required=True, hidden=True)
    assert "Reload the page" in stale.value.errors[0]["message"]
    with pytest.raises(Problem) as own:
        form_int({"item": "x"}, "item", message="Choose an item.")
    assert own.value.errors[0]["message"] == "Choose an item."
