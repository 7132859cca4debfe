"""The Import data page in a real browser: choose, check, read the errors, import."""

import pytest

from core.entities.models import Unit

pytestmark = pytest.mark.browser


def test_check_then_import_in_the_browser(browser_as, live_demo_server, tmp_path):
    page = browser_as("admin")
    page.goto("/sites/lotus/imports")
    page.select_option("#importer", "core.units")
    bad = tmp_path / "bad.csv"
    bad.write_text("單位編號,類別\nW-1,公寓\nW-1,castle\n", encoding="utf-8")
    page.set_input_files("#file", str(bad))
    with page.expect_navigation():
        page.click("button[value='check']")
    rows = page.locator("#import-errors tbody tr")
    # Row 3 is wrong twice (a code already on row 2, an unknown kind): both are listed, each
    # with its column as headed in the file.
    assert rows.count() == 2 and {"單位編號", "類別"} <= {rows.nth(i).inner_text().split()[1] for i in range(2)}
    assert page.locator("button[value='import']").count() == 0  # nothing to import while rows are wrong
    good = tmp_path / "good.csv"
    good.write_text("單位編號,類別\nW-1,公寓\nW-2,店面\n", encoding="utf-8")
    page.set_input_files("#file", str(good))
    with page.expect_navigation():
        page.click("button[value='check']")
    assert page.locator("#import-errors").count() == 0
    with page.expect_navigation():
        page.click("button[value='import']")  # the checked file, kept on the server
    assert "Imported: 2" in page.locator("[role=status]").inner_text()
    kinds = live_demo_server.call(lambda: Unit.filter(site__code="lotus", code__in=["W-1", "W-2"])
                                  .order_by("code").values_list("kind", flat=True))
    assert kinds == ["apartment", "shop"]
