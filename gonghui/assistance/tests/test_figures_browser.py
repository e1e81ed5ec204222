"""The figures page in headless Chromium under the content security policy: its charts draw
(from the static script and the page's data), with no violation and no script error, at
desktop and phone width. ``GONGHUI_SCREENSHOTS=<dir>`` keeps a screenshot of each."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from gonghui.assistance.tests.test_figures import small_world  # noqa: F401 (a fixture)
from gonghui.tests import test_browser as shared
from gonghui.tests.test_browser import CHROMIUM, staff_sign_in
from gonghui.tests.test_csp_browser import watch

browser = shared.browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_figures_page_draws_its_charts(browser, live_server, small_world, width, height):  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base = live_server.url
    problems = watch(page)
    staff_sign_in(page, "district_b-admin")
    year = timezone.localdate().year
    page.goto(
        f"{page.base}/console/assistance/figures/?org={small_world.district_b.pk}&year={year}"
    )
    for chart in ("assistance-kinds", "assistance-levels", "assistance-sources"):
        page.wait_for_selector(f"#{chart} canvas")
    assert page.locator("[data-key='assistance.approved']").inner_text().startswith("3")
    # Nothing is wider than the screen (a table scrolls inside its own box).
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if os.environ.get("GONGHUI_SCREENSHOTS"):
        folder = Path(os.environ["GONGHUI_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"assistance-figures-{width}.png"), full_page=True)
    assert problems == []
    context.close()
